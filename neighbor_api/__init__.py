"""Neighbor API: the GraphQL backend of a near-neighbour (近邻) community-governance platform."""
