/** A transition DESIGN §4 forbids; it is refused before anything is written. */
export class IllegalTransitionError extends Error {
  constructor(
    readonly runnerId: string,
    readonly from: string,
    readonly to: string,
  ) {
    super(`runner ${runnerId}: ${from} → ${to} is not an allowed transition`);
    this.name = 'IllegalTransitionError';
  }
}

/** A conditional write lost a race (the record changed since it was read). */
export class StaleRecordError extends Error {
  constructor(readonly runnerId: string) {
    super(`runner ${runnerId} changed while it was being updated`);
    this.name = 'StaleRecordError';
  }
}
