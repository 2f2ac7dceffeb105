"""Open311 GeoReport v2: the report categories as services, and reports as service requests,
for the city's 12345 hotline, FixMyStreet-style apps and open-data portals (`routes.py`)."""
