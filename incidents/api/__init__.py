"""The incidents REST API at /api/v1/incidents/: DRF views over `incidents.services`."""
