import { createRouter, createWebHashHistory } from 'vue-router'
import { query, restoreSession, whenSignedOut } from './api'
import { StaffPlacesDocument, ViewerDocument } from './generated/graphql'
import { placeStaff, session, staffMemberships, type StaffPlace } from './session'

// Hash history: every screen is /console/#/..., so the server serves one index.html.
export const router = createRouter({
  history: createWebHashHistory(),
  routes: [
    { path: '/login', name: 'login', component: () => import('./views/LoginView.vue'), meta: { public: true } },
    { path: '/not-staff', name: 'not-staff', component: () => import('./views/NotStaffView.vue') },
    {
      path: '/',
      component: () => import('./views/ShellView.vue'),
      children: [
        { path: '', redirect: { name: 'reports' } },
        { path: 'reports', name: 'reports', component: () => import('./views/ReportsView.vue') },
        { path: 'reports/:id', name: 'report', component: () => import('./views/ReportView.vue'), props: true },
        { path: 'memberships', name: 'memberships', component: () => import('./views/MembershipsView.vue') },
        { path: 'councils', name: 'councils', component: () => import('./views/CouncilsView.vue') },
        { path: 'proposals/:id', name: 'proposal', component: () => import('./views/ProposalView.vue'), props: true },
        { path: 'boards', name: 'boards', component: () => import('./views/BoardView.vue') },
        { path: 'dashboard', name: 'dashboard', component: () => import('./views/DashboardView.vue') },
        { path: 'reports-map', name: 'reports-map', component: () => import('./views/ReportsMapView.vue') },
        { path: 'escalated', name: 'escalated', component: () => import('./views/EscalatedView.vue') },
        { path: 'place-dashboard', name: 'place-dashboard', component: () => import('./views/PlaceDashboardView.vue') },
      ],
    },
  ],
})

whenSignedOut(() => void router.push({ name: 'login' }))

/** Load the viewer once per sign-in and pick the first community where they work. */
export async function loadViewer(): Promise<void> {
  const data = await query(ViewerDocument, {})
  session.viewer = data.viewer
  const staff = staffMemberships(data.viewer)
  if (!staff.some((m) => m.community?.id === session.communityId)) {
    session.communityId = staff[0]?.community?.id ?? ''
  }
  // Street and district staff: the places of their community-less staff memberships.
  session.places = placeStaff(data.viewer) ? await staffPlaces() : []
  if (!session.places.some((p) => p.id === session.placeId)) {
    session.placeId = session.communityId ? '' : (session.places[0]?.id ?? '')
  }
}

const STAFF_ROLES = new Set(['COMMUNITY_WORKER', 'GRID_WORKER', 'ADMIN'])
const PLACE_SCREENS = new Set(['escalated', 'place-dashboard', 'report'])

async function staffPlaces(): Promise<StaffPlace[]> {
  const data = await query(StaffPlacesDocument, {})
  return (data.viewer?.memberships ?? []).flatMap((m) =>
    m.place && m.place.level !== 'COMMUNITY' && m.status === 'ACTIVE' && m.roles.some((r) => STAFF_ROLES.has(r))
      ? [m.place]
      : [],
  )
}

router.beforeEach(async (to) => {
  if (to.meta.public) return true
  if (!session.accessToken) {
    // A reload: the access token was in memory only; the tab's refresh token brings a new one.
    try {
      if (!(await restoreSession())) return { name: 'login' }
    } catch {
      return true // the API is down: the shell shows the banner and its retry
    }
  }
  if (!session.viewer) {
    try {
      await loadViewer()
    } catch {
      if (!session.accessToken) return { name: 'login' }
      return true // the API is down: the shell shows the banner and its retry
    }
    if (!session.viewer) return { name: 'login' }
  }
  const staff = staffMemberships(session.viewer).length > 0 || session.places.length > 0
  if (!staff && to.name !== 'not-staff') return { name: 'not-staff' }
  if (staff && to.name === 'not-staff') return { name: session.communityId ? 'reports' : 'escalated' }
  // A street's or a district's place is worked on: its screens only (and a report's detail).
  if (!session.communityId && session.placeId && !PLACE_SCREENS.has(String(to.name))) return { name: 'escalated' }
  if (session.communityId && (to.name === 'escalated' || to.name === 'place-dashboard')) return { name: 'reports' }
  return true
})
