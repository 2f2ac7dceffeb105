// Who is signed in: the tokens, the viewer and the community worked on.
//
// Token storage (see the README's console section): the short-lived access token lives in
// memory only; the refresh token in sessionStorage, so a reload (or the API-down banner's retry)
// refreshes the session, while closing the tab ends it, and no script on the page can lift a
// long-lived access token from storage. Nothing is kept in localStorage (earlier builds' keys
// are removed on start).
import { computed, reactive } from 'vue'
import type { PlaceLevel, ViewerQuery } from './generated/graphql'

type Viewer = NonNullable<ViewerQuery['viewer']>
export type Membership = Viewer['memberships'][number]

const REFRESH = 'neighbor-console.refresh'
const LEGACY = ['neighbor-console.access', 'neighbor-console.refresh']
for (const key of LEGACY) localStorage.removeItem(key)
const STAFF_ROLES = new Set(['COMMUNITY_WORKER', 'GRID_WORKER', 'ADMIN'])

export const session = reactive({
  accessToken: null as string | null,
  refreshToken: sessionStorage.getItem(REFRESH),
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
  if (refresh) sessionStorage.setItem(REFRESH, refresh)
  else sessionStorage.removeItem(REFRESH)
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
