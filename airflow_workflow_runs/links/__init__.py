"""Extra links from a task to its remote run in the service's console."""
