// A list read a page at a time with Relay cursors: the page shown, the `after` of each page
// seen so far (for 上一页), and the API's failure in place.
import { ref, type Ref } from 'vue'
import { errorMessage } from './api'

type Connection = { pageInfo: { hasNextPage: boolean; endCursor?: string | null } }

export interface CursorPages<P extends Connection> {
  page: Ref<P | null>
  index: Ref<number>
  loading: Ref<boolean>
  failure: Ref<string>
  load(): Promise<void>
  next(): void
  prev(): void
  /** Back to the first page (the filter changed) and load it. */
  restart(): void
}

/** `fetch(after)` reads one page (null when the API has none to show). */
export function useCursorPages<P extends Connection>(fetch: (after: string | null) => Promise<P | null>): CursorPages<P> {
  const page = ref<P | null>(null) as Ref<P | null>
  const cursors = ref<(string | null)[]>([null])
  const index = ref(0)
  const loading = ref(false)
  const failure = ref('')

  async function load(): Promise<void> {
    loading.value = true
    try {
      page.value = await fetch(cursors.value[index.value] ?? null)
      failure.value = ''
    } catch (error) {
      failure.value = errorMessage(error)
    } finally {
      loading.value = false
    }
  }
  function next(): void {
    const end = page.value?.pageInfo.endCursor
    if (!end) return
    cursors.value = [...cursors.value.slice(0, index.value + 1), end]
    index.value += 1
    void load()
  }
  function prev(): void {
    if (index.value === 0) return
    index.value -= 1
    void load()
  }
  function restart(): void {
    cursors.value = [null]
    index.value = 0
    void load()
  }
  return { page, index, loading, failure, load, next, prev, restart }
}
