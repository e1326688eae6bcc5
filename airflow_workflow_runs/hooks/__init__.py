"""Airflow hooks: one per service, each turning a Connection into a service client."""
