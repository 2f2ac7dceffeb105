# ruff: noqa: E501 (the contract's lines, verbatim)
"""The documents of the contract's fieldwork.graphql (../shared/contract/) that this branch
serves (dispatch, units and the wide views), copied verbatim: the file itself joins
schema/operations/ once every operation in it is served (grids, patrols and dashboards add the
rest)."""

from __future__ import annotations

FIELDWORK: dict[str, str] = {
    "Units": """query Units($placeId: ID!) {
  units(placeId: $placeId) {
    id
    name
    place { id name level }
    members { id displayName }
  }
}
""",
    "CreateUnit": """mutation CreateUnit($input: CreateUnitInput!) {
  createUnit(input: $input) {
    unit { id name }
    errors { code message field }
  }
}
""",
    "AddUnitMember": """mutation AddUnitMember($input: AddUnitMemberInput!) {
  addUnitMember(input: $input) {
    unit { id members { id displayName } }
    errors { code message field }
  }
}
""",
    "DispatchReport": """mutation DispatchReport($input: DispatchReportInput!) {
  dispatchReport(input: $input) {
    report { id status escalationLevel handlingUnit { id name } }
    errors { code message field }
  }
}
""",
    "ReturnReport": """mutation ReturnReport($input: ReturnReportInput!) {
  returnReport(input: $input) {
    report { id status handlingUnit { id name } }
    errors { code message field }
  }
}
""",
    "UnitQueue": """query UnitQueue($unitId: ID!, $first: Int, $after: String) {
  unitQueue(unitId: $unitId, first: $first, after: $after) {
    totalCount
    edges { node { id number title status community { id name } dueAt } }
  }
}
""",
    "PlaceReports": """query PlaceReports($placeId: ID!, $filter: ReportFilter, $first: Int, $after: String) {
  placeReports(placeId: $placeId, filter: $filter, first: $first, after: $after) {
    totalCount
    pageInfo { hasNextPage endCursor }
    edges { node { id number title status community { id name } } }
  }
}
""",
    "ReportsInArea": """query ReportsInArea($box: BoundingBoxInput!, $filter: ReportFilter, $first: Int) {
  reportsInArea(box: $box, filter: $filter, first: $first) {
    totalCount
    edges { node { id number status category location { lat lng } } }
  }
}
""",
}
