import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { GetCommand, PutCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';

/** The one item that holds the runner slots, in the runner table (kind "capacity", no status: out of status-index). */
export const CAPACITY_LEDGER_KEY = 'capacity#runners';

/**
 * MAX_RUNNERS enforced with one conditional write per claim: the ledger item
 * maps each runner holding a slot to when it claimed it, and a claim is
 * accepted only while the map has fewer than `max` entries. Claim and
 * release are idempotent per runner id, so a retried dispatch never takes a
 * second slot and a second release frees nothing else.
 */
export class CapacityLedger {
  /** Once seen, the ledger exists for good (it is never deleted). */
  private exists = false;

  constructor(
    private readonly doc: DynamoDBDocumentClient,
    private readonly tableName: string,
    private readonly now: () => Date,
  ) {}

  /** True when `runnerId` holds a slot now (it may already have held it); false when all `max` are taken. */
  async claim(runnerId: string, max: number): Promise<boolean> {
    const claimSlot = () =>
      this.sendConditional(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { runnerId: CAPACITY_LEDGER_KEY },
          UpdateExpression: 'SET holders.#runner = if_not_exists(holders.#runner, :claimedAt)',
          ConditionExpression: 'attribute_exists(holders.#runner) OR size(holders) < :max',
          ExpressionAttributeNames: { '#runner': runnerId },
          ExpressionAttributeValues: { ':claimedAt': this.now().getTime(), ':max': max },
        }),
      );
    if (await claimSlot()) return (this.exists = true);
    if (this.exists) return false;
    // The condition also fails when the ledger does not exist yet: make sure it does, then claim once more.
    await this.createIfMissing();
    this.exists = true;
    return claimSlot();
  }

  /**
   * Frees the runner's slot; false when it held none. With `claimedAt`, only
   * the claim made then: not one that was taken over or made again since.
   */
  release(runnerId: string, claimedAt?: number): Promise<boolean> {
    return this.sendConditional(
      new UpdateCommand({
        TableName: this.tableName,
        Key: { runnerId: CAPACITY_LEDGER_KEY },
        UpdateExpression: 'REMOVE holders.#runner',
        ConditionExpression: claimedAt === undefined ? 'attribute_exists(holders.#runner)' : 'holders.#runner = :claimedAt',
        ExpressionAttributeNames: { '#runner': runnerId },
        ...(claimedAt === undefined ? {} : { ExpressionAttributeValues: { ':claimedAt': claimedAt } }),
      }),
    );
  }

  /**
   * When the runner's slot was claimed (epoch ms), undefined when it holds
   * none. Claims are idempotent, so this is the first claim of the dispatches
   * now sharing the slot: the start of the dispatch lease.
   */
  async claimedAt(runnerId: string): Promise<number | undefined> {
    const out = await this.doc.send(
      new GetCommand({
        TableName: this.tableName,
        Key: { runnerId: CAPACITY_LEDGER_KEY },
        ProjectionExpression: 'holders.#runner',
        ExpressionAttributeNames: { '#runner': runnerId },
        ConsistentRead: true,
      }),
    );
    return (out.Item?.holders as Record<string, number> | undefined)?.[runnerId];
  }

  /**
   * Takes over a claim whose lease ran out (its dispatch died): the claim
   * made at `claimedAt` becomes one made now. False when it is not that
   * claim any more (freed, or taken over by another dispatch): exactly one
   * of several racing take-overs, and housekeeping's release, wins.
   */
  takeOver(runnerId: string, claimedAt: number): Promise<boolean> {
    return this.sendConditional(
      new UpdateCommand({
        TableName: this.tableName,
        Key: { runnerId: CAPACITY_LEDGER_KEY },
        UpdateExpression: 'SET holders.#runner = :now',
        ConditionExpression: 'holders.#runner = :claimedAt',
        ExpressionAttributeNames: { '#runner': runnerId },
        ExpressionAttributeValues: { ':claimedAt': claimedAt, ':now': Math.max(this.now().getTime(), claimedAt + 1) },
      }),
    );
  }

  /** Who holds a slot, and since when (epoch ms). */
  async holders(): Promise<Map<string, number>> {
    return (await this.state()).holders;
  }

  /** The holders, and until when waiting runners are not dispatched (ECS had no capacity; epoch ms, 0: no pause). */
  async state(): Promise<{ holders: Map<string, number>; launchesPausedUntil: number }> {
    const out = await this.doc.send(new GetCommand({ TableName: this.tableName, Key: { runnerId: CAPACITY_LEDGER_KEY }, ConsistentRead: true }));
    const holders = (out.Item?.holders ?? {}) as Record<string, number>;
    return { holders: new Map(Object.entries(holders)), launchesPausedUntil: (out.Item?.launchesPausedUntil as number | undefined) ?? 0 };
  }

  /**
   * Fargate had no capacity: waiting runners are not dispatched before
   * `untilMs`, so a backlog does not spend its launch attempts all at once
   * on an outage. Only ever moves the pause later.
   */
  async pauseLaunches(untilMs: number): Promise<void> {
    await this.sendConditional(
      new UpdateCommand({
        TableName: this.tableName,
        Key: { runnerId: CAPACITY_LEDGER_KEY },
        UpdateExpression: 'SET launchesPausedUntil = :until',
        ConditionExpression: 'attribute_exists(runnerId) AND (attribute_not_exists(launchesPausedUntil) OR launchesPausedUntil < :until)',
        ExpressionAttributeValues: { ':until': untilMs },
      }),
    );
  }

  private async createIfMissing(): Promise<void> {
    await this.sendConditional(
      new PutCommand({
        TableName: this.tableName,
        Item: { runnerId: CAPACITY_LEDGER_KEY, kind: 'capacity', holders: {} },
        ConditionExpression: 'attribute_not_exists(runnerId)',
      }),
    );
  }

  /** Sends a conditional write; false when its condition did not hold. */
  private async sendConditional(command: UpdateCommand | PutCommand): Promise<boolean> {
    try {
      await this.doc.send(command as UpdateCommand);
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw error;
    }
  }
}
