"""The catalogue's pages of the self-service portal (declared in catalogue/records.py, joined to
the portal's namespace by the registry): the catalogue, a service, ordering an item, one's
request with its history, reply and cancel; and the catalogue's blocks on the portal's home
and search pages."""
