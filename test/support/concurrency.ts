/**
 * One way to race requests against each other, for every concurrency test: N contenders
 * behind a start barrier, R rounds, a set-up before and a check after each round.
 *
 * The barrier: every contender's promise is created first, each waiting on one gate; the
 * gate then opens, and all of them call into orgkit in the same turn of the event loop. No
 * contender gets a head start from being created first, so the database sees them as
 * close together as one process can send them.
 */
import { isOrgkitError } from '@orgkit/core'

/** How one contender ended: its value, or its error and the error's orgkit code (`null` for any other error). */
export type Outcome<T> =
  | { status: 'fulfilled'; value: T; code?: undefined }
  | { status: 'rejected'; reason: unknown; code: string | null }

/** Runs every contender at once, behind the start barrier, and waits for all of them. */
export async function race<T>(contenders: readonly (() => Promise<T>)[]): Promise<Outcome<T>[]> {
  let open!: () => void
  const gate = new Promise<void>((resolve) => {
    open = resolve
  })
  const running = contenders.map((contender) => gate.then(contender))
  open()
  const settled = await Promise.allSettled(running)
  return settled.map((result) =>
    result.status === 'fulfilled'
      ? { status: 'fulfilled', value: result.value }
      : { status: 'rejected', reason: result.reason, code: isOrgkitError(result.reason) ? result.reason.code : null },
  )
}

/** One round as the check sees it. */
export interface Round<S, T> {
  round: number
  /** What `setup` returned for this round. */
  state: S
  outcomes: Outcome<T>[]
  /** The values of the contenders that succeeded. */
  fulfilled: T[]
  /** The orgkit codes of the contenders that failed (`null` for an error that is not an OrgkitError). */
  codes: (string | null)[]
}

export interface RaceOptions<S, T> {
  rounds: number
  /** Brings the database to the round's starting point; its value is handed to `contenders` and `check`. */
  setup: (round: number) => Promise<S> | S
  /** The round's contenders, each a call that has not started yet. */
  contenders: (state: S, round: number) => readonly (() => Promise<T>)[]
  /** Asserts what must hold after the round (throw or `expect` to fail). */
  check: (round: Round<S, T>) => Promise<void> | void
}

/** What all rounds added up to: wins and failure codes over the run, for assertions across rounds. */
export interface RaceSummary {
  rounds: number
  fulfilled: number
  /** How often each failure code came up (`'null'` for errors that are not OrgkitErrors). */
  codes: Record<string, number>
}

/**
 * Runs `rounds` rounds of set-up, race, check. A contender failing with an error that is
 * not an OrgkitError is a bug of the code under test, not a lost race: the round's check
 * sees it as code `null`, and `expectOnlyCodes` refuses it.
 */
export async function raceRounds<S, T>(options: RaceOptions<S, T>): Promise<RaceSummary> {
  const summary: RaceSummary = { rounds: options.rounds, fulfilled: 0, codes: {} }
  for (let round = 0; round < options.rounds; round++) {
    const state = await options.setup(round)
    const outcomes = await race(options.contenders(state, round))
    const fulfilled: T[] = []
    const codes: (string | null)[] = []
    for (const outcome of outcomes) {
      if (outcome.status === 'fulfilled') fulfilled.push(outcome.value)
      else codes.push(outcome.code)
    }
    summary.fulfilled += fulfilled.length
    for (const code of codes) summary.codes[String(code)] = (summary.codes[String(code)] ?? 0) + 1
    await options.check({ round, state, outcomes, fulfilled, codes })
  }
  return summary
}

/**
 * Throws unless every failed contender of the round failed with one of `allowed` codes;
 * an unexpected error is passed on as the cause, so its stack shows.
 */
export function expectOnlyCodes(round: Round<unknown, unknown>, allowed: readonly string[]): void {
  for (const outcome of round.outcomes) {
    if (outcome.status === 'rejected' && (outcome.code === null || !allowed.includes(outcome.code))) {
      throw new Error(
        `round ${round.round}: a contender failed with ${outcome.code ?? 'a non-orgkit error'}, expected one of ${allowed.join(', ')}`,
        { cause: outcome.reason },
      )
    }
  }
}

/**
 * Resolves once a session of the storage's database waits for a lock (`lockWaiters`, polled:
 * each poll is a query, so the wait ends on the server's event, not after a time). A
 * storage without `lockWaiters` runs its transactions one at a time: one started while
 * another is open is queued behind it by construction, so there is nothing to wait for.
 */
export async function untilWaitingForLock(env: { lockWaiters?: (() => Promise<number>) | undefined }): Promise<void> {
  const { lockWaiters } = env
  if (lockWaiters === undefined) return
  while ((await lockWaiters()) === 0) {
    // Polled again: the server has not shown the waiter yet.
  }
}
