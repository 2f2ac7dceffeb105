import { describe, expect, it } from 'vitest'
import { boundaryFeatures } from './views/map'

describe('boundaryFeatures', () => {
  it('turns each boundary into a polygon, longitude first', () => {
    const ring = [{ lat: 24.5, lng: 118.1 }, { lat: 24.5, lng: 118.2 }, { lat: 24.6, lng: 118.2 }, { lat: 24.5, lng: 118.1 }]
    const collection = boundaryFeatures([{ name: '金安社区', points: ring }], [])
    expect(collection.features).toHaveLength(1)
    expect(collection.features[0]?.properties.name).toBe('金安社区')
    expect(collection.features[0]?.geometry.coordinates[0]?.[1]).toEqual([118.2, 24.5])
  })
  it('stands in the box around the points when there is no boundary', () => {
    const collection = boundaryFeatures([], [{ lat: 24.5, lng: 118.1 }, { lat: 24.51, lng: 118.12 }])
    const box = collection.features[0]?.geometry.coordinates[0] ?? []
    expect(box).toHaveLength(5)
    expect(box[0]?.[0]).toBeLessThan(118.1)
    expect(box[2]?.[1]).toBeGreaterThan(24.51)
  })
  it('is empty with neither', () => {
    expect(boundaryFeatures([], []).features).toEqual([])
  })
})
