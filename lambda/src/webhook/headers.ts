/**
 * Bounds on the delivery headers, checked before anything is stored: the
 * delivery id becomes part of a DynamoDB key (at most 2 KB) and both go into
 * log keys and bus events. GitHub sends a GUID (e.g.
 * 72d3162e-cc78-11e3-81ab-4c9367dc0958) and a lower-case event name with
 * underscores (workflow_job, pull_request_review_comment).
 */
export const MAX_DELIVERY_ID_LENGTH = 128;
export const MAX_EVENT_NAME_LENGTH = 64;

const GUID_ALPHABET = /^[0-9A-Fa-f-]+$/;
const EVENT_NAME = /^[a-z][a-z0-9_]*$/;

/** Why X-GitHub-Delivery cannot be GitHub's, or undefined. */
export function deliveryIdProblem(value: string | undefined): string | undefined {
  if (!value) return 'missing X-GitHub-Delivery header';
  if (value.length > MAX_DELIVERY_ID_LENGTH) return `X-GitHub-Delivery is ${value.length} characters; GitHub's delivery ids are GUIDs of at most ${MAX_DELIVERY_ID_LENGTH}`;
  if (!GUID_ALPHABET.test(value)) return 'X-GitHub-Delivery must be a GUID: hex digits and dashes';
  return undefined;
}

/** Why X-GitHub-Event cannot be a GitHub event name, or undefined. */
export function eventNameProblem(value: string | undefined): string | undefined {
  if (!value) return 'missing X-GitHub-Event header';
  if (value.length > MAX_EVENT_NAME_LENGTH) return `X-GitHub-Event is ${value.length} characters; GitHub's event names are at most ${MAX_EVENT_NAME_LENGTH}`;
  if (!EVENT_NAME.test(value)) return 'X-GitHub-Event must be a GitHub event name: lower-case letters, digits and underscores';
  return undefined;
}

/** The delivery id and event name of a request, or why they cannot be GitHub's. */
export function readDeliveryHeaders(headers: Record<string, string>): { deliveryId: string; eventName: string } | { problem: string } {
  const deliveryId = headers['x-github-delivery'];
  const eventName = headers['x-github-event'];
  const problem = deliveryIdProblem(deliveryId) ?? eventNameProblem(eventName);
  return problem ? { problem } : { deliveryId: deliveryId!, eventName: eventName! };
}
