"""The catalogue and request REST API under /api/v1/: services, items (with their form schema), requests, fulfilment tasks and approvals."""
