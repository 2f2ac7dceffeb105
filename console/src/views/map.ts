// The reports map's helpers: GeoJSON from the API's boundaries, and a colour for each status.
import type { ReportStatus } from '../generated/graphql'

export type LatLng = { lat: number; lng: number }
export type Ring = { name: string; points: LatLng[] }

export const STATUS_COLOURS: Record<ReportStatus, string> = {
  SUBMITTED: '#e6a23c',
  ACCEPTED: '#409eff',
  ASSIGNED: '#337ecc',
  IN_PROGRESS: '#9254de',
  RESOLVED: '#67c23a',
  CLOSED: '#909399',
  REJECTED: '#f56c6c',
  WITHDRAWN: '#c0c4cc',
  DUPLICATE: '#b1b3b8',
}

type Feature = {
  type: 'Feature'
  properties: { name: string }
  geometry: { type: 'Polygon'; coordinates: [number, number][][] }
}

/** A FeatureCollection of the boundaries (GeoJSON: longitude first). With none, the box around
 * the points (a little wider) stands in, so that the points still have a map to sit on. */
export function boundaryFeatures(rings: Ring[], points: LatLng[]): { type: 'FeatureCollection'; features: Feature[] } {
  const features: Feature[] = rings.map((ring) => ({
    type: 'Feature',
    properties: { name: ring.name },
    geometry: { type: 'Polygon', coordinates: [ring.points.map((p) => [p.lng, p.lat])] },
  }))
  if (features.length === 0 && points.length > 0) {
    const pad = 0.002
    const west = Math.min(...points.map((p) => p.lng)) - pad
    const east = Math.max(...points.map((p) => p.lng)) + pad
    const south = Math.min(...points.map((p) => p.lat)) - pad
    const north = Math.max(...points.map((p) => p.lat)) + pad
    features.push({
      type: 'Feature',
      properties: { name: '' },
      geometry: { type: 'Polygon', coordinates: [[[west, south], [east, south], [east, north], [west, north], [west, south]]] },
    })
  }
  return { type: 'FeatureCollection', features }
}
