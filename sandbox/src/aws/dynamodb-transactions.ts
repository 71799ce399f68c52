import { loadServiceModel } from './aws-models.js';
import type { AttributeMap } from './dynamodb-stream.js';
import { validateRequest } from './model-validation.js';
import { AwsError } from './protocol.js';

/** One call to dynalite itself: the operation's JSON answer and its HTTP status. */
export type DynaliteCall = (operation: string, input: Record<string, unknown>) => Promise<{ status: number; body: Record<string, unknown> }>;

/** One write of a transaction, as the single-item operation dynalite applies. */
export interface TransactionAction {
  table: string;
  key: AttributeMap;
  operation: 'PutItem' | 'UpdateItem' | 'DeleteItem';
  request: Record<string, unknown>;
  /** ALL_OLD: a failed condition's cancellation reason carries the item as it was. */
  returnOldOnFailure: boolean;
}

/** What the front answers: DynamoDB's status and JSON body. */
export interface TransactionAnswer {
  status: number;
  body: Record<string, unknown>;
}

const MODEL = loadServiceModel('dynamodb');
const ERROR_PREFIX = 'com.amazonaws.dynamodb.v20120810#';
/** AWS keeps a ClientRequestToken for 10 minutes. */
const TOKEN_TTL_MS = 10 * 60_000;
const OPERATIONS = { Put: 'PutItem', Update: 'UpdateItem', Delete: 'DeleteItem' } as const;

export function errorAnswer(code: string, message: string, status = 400): TransactionAnswer {
  return { status, body: { __type: `${ERROR_PREFIX}${code}`, message } };
}

/**
 * Parses and checks a TransactWriteItems request the way DynamoDB does before
 * it touches an item: the vendored model (1 to 100 items, names, lengths),
 * exactly one action per entry, and no two actions on one item. ConditionCheck
 * is refused: the fleet never sends one, and the front would have to evaluate
 * conditions itself to support it.
 */
export function parseTransaction(input: Record<string, unknown>, keyOf: (table: string, item: AttributeMap) => AttributeMap | undefined): TransactionAction[] {
  validateRequest(MODEL, 'TransactWriteItems', input);
  const actions = (input.TransactItems as Array<Record<string, unknown>>).map((entry): TransactionAction => {
    const kinds = Object.keys(entry).filter((k) => entry[k] !== undefined && entry[k] !== null);
    if (kinds.length !== 1) throw new AwsError('ValidationException', 'TransactItems can only contain one of Check, Put, Update or Delete');
    const kind = kinds[0]!;
    if (kind === 'ConditionCheck') throw new AwsError('ValidationException', 'the sandbox does not simulate ConditionCheck in TransactWriteItems (the fleet sends none)');
    const { ReturnValuesOnConditionCheckFailure: returnOld, ...request } = entry[kind] as Record<string, unknown>;
    const table = String(request.TableName);
    const key = keyOf(table, (kind === 'Put' ? request.Item : request.Key) as AttributeMap);
    if (!key) throw new AwsError('ValidationException', `The provided key element does not match the schema of table ${table}`);
    return { table, key, operation: OPERATIONS[kind as keyof typeof OPERATIONS], request, returnOldOnFailure: returnOld === 'ALL_OLD' };
  });
  const ids = actions.map((a) => `${a.table}|${JSON.stringify(a.key)}`);
  if (new Set(ids).size !== ids.length) throw new AwsError('ValidationException', 'Transaction request cannot include multiple operations on one item');
  return actions;
}

/**
 * Applies the actions one by one on dynalite (the caller holds every item's
 * lock, so nothing interleaves), each with its own condition. When one fails,
 * the ones applied are put back from their before-images, so a cancelled
 * transaction changed nothing; the answer is DynamoDB's
 * TransactionCanceledException with one reason per action, in order. A
 * committed transaction reports two write units per unit a single write
 * would cost (DynamoDB's price for transactional writes).
 */
export async function applyTransaction(call: DynaliteCall, actions: TransactionAction[], before: Array<AttributeMap | undefined>, returnConsumed: boolean): Promise<{ answer: TransactionAnswer; committed: boolean }> {
  const applied: number[] = [];
  const reasons: Array<Record<string, unknown>> = [];
  const units = new Map<string, number>();
  let refusal: TransactionAnswer | undefined;
  for (const [index, action] of actions.entries()) {
    if (refusal) break;
    const out = await call(action.operation, { ...action.request, ReturnConsumedCapacity: 'TOTAL' });
    if (out.status === 200) {
      applied.push(index);
      reasons.push({ Code: 'None' });
      const consumed = Number((out.body.ConsumedCapacity as { CapacityUnits?: number } | undefined)?.CapacityUnits ?? 1);
      units.set(action.table, (units.get(action.table) ?? 0) + consumed);
    } else if (String(out.body.__type).endsWith('#ConditionalCheckFailedException')) {
      const old = before[index];
      reasons.push({ Code: 'ConditionalCheckFailed', Message: 'The conditional request failed', ...(action.returnOldOnFailure && old ? { Item: old } : {}) });
    } else {
      // A malformed action (a bad expression, a wrong type) fails the whole request, as DynamoDB's own validation would.
      refusal = { status: out.status, body: out.body };
    }
  }
  if (refusal || applied.length < actions.length) {
    for (const index of applied.reverse()) {
      const { table, key } = actions[index]!;
      const image = before[index];
      const out = image ? await call('PutItem', { TableName: table, Item: image }) : await call('DeleteItem', { TableName: table, Key: key });
      if (out.status !== 200) throw new Error(`the sandbox could not roll back a cancelled transaction on ${table}: ${JSON.stringify(out.body)}`);
    }
    if (refusal) return { answer: refusal, committed: false };
    const codes = reasons.map((r) => r.Code).join(', ');
    return {
      answer: { status: 400, body: { __type: `${ERROR_PREFIX}TransactionCanceledException`, message: `Transaction cancelled, please refer cancellation reasons for specific reasons [${codes}]`, CancellationReasons: reasons } },
      committed: false,
    };
  }
  const body = returnConsumed ? { ConsumedCapacity: [...units].map(([TableName, n]) => ({ TableName, CapacityUnits: 2 * n })) } : {};
  return { answer: { status: 200, body }, committed: true };
}

/**
 * DynamoDB's idempotency for TransactWriteItems: the same ClientRequestToken
 * within 10 minutes answers as the first call did without applying it again;
 * the same token with another request is IdempotentParameterMismatchException.
 */
export class TransactionTokens {
  private readonly seen = new Map<string, { request: string; answer: TransactionAnswer; at: number }>();

  constructor(private readonly now: () => number = Date.now) {}

  /** The earlier answer to this token, if any (throws when the request differs). */
  replayed(token: string | undefined, request: string): TransactionAnswer | undefined {
    const now = this.now();
    // Insertion order is time order: the expired ones are at the front.
    for (const [t, entry] of this.seen) {
      if (now - entry.at <= TOKEN_TTL_MS) break;
      this.seen.delete(t);
    }
    const entry = token ? this.seen.get(token) : undefined;
    if (!entry) return undefined;
    if (entry.request !== request) throw new AwsError('IdempotentParameterMismatchException', 'The request uses the same client token as a previous, but non-identical request.');
    return entry.answer;
  }

  remember(token: string | undefined, request: string, answer: TransactionAnswer): void {
    if (token && answer.status === 200) this.seen.set(token, { request, answer, at: this.now() });
  }
}
