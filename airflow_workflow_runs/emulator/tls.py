"""A self-signed certificate for the HTTPS listener that clients can also use as their CA bundle.

The certificate is its own issuer with ``CA:TRUE``, so pointing a client's trust store at the
single PEM file (botocore ``verify=path``, azure-core ``connection_verify=path``, ``ssl_ca_cert``)
makes verification pass with hostname checks on for ``localhost``, ``127.0.0.1`` and ``::1``.
The pair is kept in the state directory and reused while valid, so restarts keep the same bundle.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import ipaddress
import os
import ssl
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

CERT_FILE = "emulator-cert.pem"
KEY_FILE = "emulator-key.pem"
VALIDITY = dt.timedelta(days=365)
# Regenerate when less than this is left, so a long test session never sees it expire.
MIN_REMAINING = dt.timedelta(days=7)


@dataclass(frozen=True)
class CertPaths:
    cert: Path
    key: Path


def _write_atomic(path: Path, data: bytes, mode: int) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        os.fchmod(fd, mode)
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _is_usable(paths: CertPaths) -> bool:
    from cryptography import x509
    from cryptography.hazmat.primitives import serialization

    try:
        cert = x509.load_pem_x509_certificate(paths.cert.read_bytes())
        key = serialization.load_pem_private_key(paths.key.read_bytes(), password=None)
    except (OSError, ValueError, TypeError):
        return False
    now = dt.datetime.now(dt.timezone.utc)
    if not cert.not_valid_before_utc <= now <= cert.not_valid_after_utc - MIN_REMAINING:
        return False
    try:
        san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except x509.ExtensionNotFound:
        return False
    if "localhost" not in san.get_values_for_type(x509.DNSName):
        return False
    return cert.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    ) == key.public_key().public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)


def _generate() -> tuple[bytes, bytes]:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name(
        [
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "airflow-workflow-runs"),
            x509.NameAttribute(NameOID.COMMON_NAME, "airflow-workflow-runs emulator"),
        ]
    )
    now = dt.datetime.now(dt.timezone.utc)
    ski = x509.SubjectKeyIdentifier.from_public_key(key.public_key())
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(hours=1))
        .not_valid_after(now + VALIDITY)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(
            x509.SubjectAlternativeName(
                [
                    x509.DNSName("localhost"),
                    x509.IPAddress(ipaddress.ip_address("127.0.0.1")),
                    x509.IPAddress(ipaddress.ip_address("::1")),
                ]
            ),
            critical=False,
        )
        .add_extension(ski, critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(ski), critical=False)
        .sign(key, hashes.SHA256())
    )
    key_pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    return cert.public_bytes(serialization.Encoding.PEM), key_pem


@contextlib.contextmanager
def _dir_lock(state_dir: Path) -> Iterator[None]:
    """Serialize certificate creation between emulators sharing a state directory (POSIX)."""
    try:
        import fcntl
    except ImportError:  # pragma: no cover - Windows: best effort without a lock
        yield
        return
    with open(state_dir / ".emulator-cert.lock", "a") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def ensure_certificate(state_dir: Path) -> CertPaths:
    """The cert/key pair in ``state_dir``: reused when valid, else (re)generated atomically."""
    paths = CertPaths(state_dir / CERT_FILE, state_dir / KEY_FILE)
    with _dir_lock(state_dir):
        if not _is_usable(paths):
            cert_pem, key_pem = _generate()
            _write_atomic(paths.key, key_pem, 0o600)
            _write_atomic(paths.cert, cert_pem, 0o644)
    return paths


def server_context(paths: CertPaths) -> ssl.SSLContext:
    """A TLS 1.2+ server context serving the pair (HTTP/1.1 only; no ALPN h2)."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.load_cert_chain(paths.cert, paths.key)
    context.set_alpn_protocols(["http/1.1"])
    return context
