// Who is signed in: the tokens (kept in localStorage), the viewer and the community worked on.
import { computed, reactive } from 'vue'
import type { PlaceLevel, ViewerQuery } from './generated/graphql'

type Viewer = NonNullable<ViewerQuery['viewer']>
export type Membership = Viewer['memberships'][number]

const ACCESS = 'neighbor-console.access'
const REFRESH = 'neighbor-console.refresh'
const STAFF_ROLES = new Set(['COMMUNITY_WORKER', 'GRID_WORKER', 'ADMIN'])

export const session = reactive({
  accessToken: localStorage.getItem(ACCESS),
  refreshToken: localStorage.getItem(REFRESH),
  viewer: null as Viewer | null,
  communityId: '',
  /** Street and district staff: the places (above a community) where they work, and the one
   * worked on when no community is (`communityId` empty). */
  places: [] as StaffPlace[],
  placeId: '',
  apiDown: false,
})

export type StaffPlace = { id: string; name: string; level: PlaceLevel }

export function setTokens(access: string | null, refresh: string | null): void {
  session.accessToken = access
  session.refreshToken = refresh
  if (access) localStorage.setItem(ACCESS, access)
  else localStorage.removeItem(ACCESS)
  if (refresh) localStorage.setItem(REFRESH, refresh)
  else localStorage.removeItem(REFRESH)
}

export function clearSession(): void {
  setTokens(null, null)
  session.viewer = null
  session.communityId = ''
  session.places = []
  session.placeId = ''
}

/** The communities where the viewer works: active memberships with a staff role. */
export function staffMemberships(viewer: Viewer | null): Membership[] {
  if (!viewer) return []
  return viewer.memberships.filter(
    (m) => m.community !== null && m.status === 'ACTIVE' && m.roles.some((role) => STAFF_ROLES.has(role)),
  )
}

/** Staff of a street or district (a staff role with no community): the console's screens are
 * a community's, and the views of a street or district are not built yet. */
export function placeStaff(viewer: Viewer | null): boolean {
  return (viewer?.memberships ?? []).some(
    (m) => m.community === null && m.status === 'ACTIVE' && m.roles.some((role) => STAFF_ROLES.has(role)),
  )
}

export const community = computed(
  () => staffMemberships(session.viewer).find((m) => m.community?.id === session.communityId)?.community ?? null,
)

export const place = computed(() => session.places.find((p) => p.id === session.placeId) ?? null)
