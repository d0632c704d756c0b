"""The incidents' pages of the self-service portal (declared in incidents/records.py, joined to
the portal's namespace by the registry): report an incident with knowledge articles offered
first, one's incidents, one incident with its history, reply, reopen and confirm."""
