"""Dashboards: a community's figures, and the same rolled up for a street, district or city."""
