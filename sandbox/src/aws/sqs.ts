import { ACCOUNT_ID, AwsError, requireString, type JsonService } from './protocol.js';

/**
 * SQS, as far as the fleet's dead-letter queue goes: one queue whose messages are the events
 * the simulated EventBridge dead-lettered, plus any a test adds. GetQueueAttributes only
 * (AWS JSON 1.0, as current SDKs speak it).
 */
export class SqsSimulator {
  readonly queueArn: string;
  private host: string;
  /** Messages put on the queue besides the dead-lettered events (tests). */
  readonly extraMessages: string[] = [];

  constructor(
    region: string,
    private readonly queueName: string,
    private readonly deadLetterCount: () => number,
  ) {
    this.host = `https://sqs.${region}.amazonaws.com`;
    this.queueArn = `arn:aws:sqs:${region}:${ACCOUNT_ID}:${queueName}`;
  }

  /**
   * The queue's URL, which the SDK's SQS client also uses as the endpoint of calls on the queue
   * (as moto's does, it names the server that holds the queue once serveAt says where that is).
   */
  get queueUrl(): string {
    return `${this.host}/${ACCOUNT_ID}/${this.queueName}`;
  }

  serveAt(endpoint: string): void {
    this.host = endpoint;
  }

  service(): JsonService {
    return {
      targetPrefix: 'AmazonSQS',
      operations: {
        GetQueueAttributes: (input) => {
          const url = requireString(input, 'QueueUrl', 'InvalidAddress');
          if (url !== this.queueUrl) throw new AwsError('QueueDoesNotExist', 'The specified queue does not exist.');
          const all: Record<string, string> = {
            ApproximateNumberOfMessages: String(this.deadLetterCount() + this.extraMessages.length),
            ApproximateNumberOfMessagesNotVisible: '0',
            ApproximateNumberOfMessagesDelayed: '0',
            QueueArn: this.queueArn,
            MessageRetentionPeriod: '1209600',
            SqsManagedSseEnabled: 'true',
          };
          const names = (input.AttributeNames as string[] | undefined) ?? [];
          // No names: AWS answers no attributes.
          return { Attributes: names.includes('All') ? all : Object.fromEntries(names.filter((n) => n in all).map((n) => [n, all[n]!])) };
        },
      },
    };
  }
}
