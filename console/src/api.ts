// The GraphQL client: urql over HTTP (same origin /graphql) and graphql-ws for subscriptions.
// An UNAUTHENTICATED answer refreshes the session and retries once; a failed refresh signs out.
import {
  Client,
  CombinedError,
  fetchExchange,
  mapExchange,
  subscriptionExchange,
  type AnyVariables,
  type TypedDocumentNode,
} from '@urql/core'
import { authExchange } from '@urql/exchange-auth'
import { createClient as createWsClient } from 'graphql-ws'
import { RefreshSessionDocument } from './generated/graphql'
import { currentLocale } from './i18n'
import { clearSession, session, setTokens } from './session'

export { fieldError, formErrors, type UserError } from './errors'

let onSignedOut: () => void = () => {}
export function whenSignedOut(callback: () => void): void {
  onSignedOut = callback
}

const wsUrl = `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/graphql`
const ws = createWsClient({
  url: wsUrl,
  lazy: true,
  retryAttempts: Infinity,
  shouldRetry: () => true,
  connectionParams: () => (session.accessToken ? { authorization: `Bearer ${session.accessToken}` } : {}),
})

function isAuthError(error: CombinedError): boolean {
  return error.graphQLErrors.some((e) => e.extensions?.code === 'UNAUTHENTICATED')
}

export const client = new Client({
  url: '/graphql',
  preferGetMethod: false,
  requestPolicy: 'network-only',
  fetchOptions: () => ({ headers: { 'Accept-Language': currentLocale() } }),
  exchanges: [
    mapExchange({
      onResult(result) {
        // An answer over HTTP says the API is back (a socket's event says nothing of HTTP).
        if (result.operation.kind !== 'subscription' && !result.error?.networkError) session.apiDown = false
      },
      onError(error) {
        if (error.networkError) session.apiDown = true
      },
    }),
    authExchange(async (utils) => ({
      addAuthToOperation(operation) {
        if (!session.accessToken) return operation
        return utils.appendHeaders(operation, { Authorization: `Bearer ${session.accessToken}` })
      },
      didAuthError: isAuthError,
      async refreshAuth() {
        const refreshToken = session.refreshToken
        if (!refreshToken) {
          clearSession()
          onSignedOut()
          return
        }
        // The expired token stays off the refresh itself (a present, invalid token is refused).
        session.accessToken = null
        const result = await utils.mutate(RefreshSessionDocument, { input: { refreshToken } })
        const payload = result.data?.refreshSession
        if (payload?.accessToken && payload.refreshToken) {
          setTokens(payload.accessToken, payload.refreshToken)
        } else {
          clearSession()
          onSignedOut()
        }
      },
    })),
    fetchExchange,
    subscriptionExchange({
      forwardSubscription(request) {
        const input = { ...request, query: request.query || '' }
        return {
          subscribe(sink) {
            const unsubscribe = ws.subscribe(input, sink)
            return { unsubscribe }
          },
        }
      },
    }),
  ],
})

let restoring: Promise<boolean> | null = null

/** On load (the access token is never stored): exchange this tab's refresh token for a new pair.
 * True when signed in again, false when there is no session or it has ended (forgotten here);
 * throws when the API cannot be reached (the session is kept for the banner's retry). */
export function restoreSession(): Promise<boolean> {
  restoring ??= (async () => {
    const refreshToken = session.refreshToken
    if (!refreshToken) return false
    const result = await client.mutation(RefreshSessionDocument, { input: { refreshToken } }).toPromise()
    if (result.error?.networkError) throw result.error
    const payload = result.data?.refreshSession
    if (payload?.accessToken && payload.refreshToken) {
      setTokens(payload.accessToken, payload.refreshToken)
      return true
    }
    clearSession()
    return false
  })().finally(() => {
    restoring = null
  })
  return restoring
}

/** Run a query; its data, or throws the CombinedError (network or GraphQL errors). */
export async function query<D, V extends AnyVariables>(document: TypedDocumentNode<D, V>, variables: V): Promise<D> {
  const result = await client.query(document, variables).toPromise()
  if (result.error) throw result.error
  return result.data as D
}

/** Run a mutation; its data, or throws the CombinedError. Payload `errors` are the caller's. */
export async function mutate<D, V extends AnyVariables>(document: TypedDocumentNode<D, V>, variables: V): Promise<D> {
  const result = await client.mutation(document, variables).toPromise()
  if (result.error) throw result.error
  return result.data as D
}

/** Follow a subscription; returns the function that stops it. */
export function subscribe<D, V extends AnyVariables>(
  document: TypedDocumentNode<D, V>,
  variables: V,
  onData: (data: D) => void,
): () => void {
  const { unsubscribe } = client.subscription(document, variables).subscribe((result) => {
    if (result.data) onData(result.data)
  })
  return unsubscribe
}

/** Restart the socket (after signing in or out, so it authenticates as the new viewer). */
export function restartLive(): void {
  ws.terminate()
}

export function errorMessage(error: unknown): string {
  if (error instanceof CombinedError) {
    return error.graphQLErrors.map((e) => e.message).join('; ') || error.message
  }
  return String(error)
}
