import { mutate, restartLive } from './api'
import { LogoutDocument } from './generated/graphql'
import { clearSession } from './session'

/** End the session on the server (best effort) and forget the tokens here. */
export async function signOut(): Promise<void> {
  try {
    await mutate(LogoutDocument, {})
  } catch {
    // already ended, or the API is down: the tokens are forgotten either way
  }
  clearSession()
  restartLive()
}
