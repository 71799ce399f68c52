import type { ServiceModel } from './aws-models.js';
import { modelViolations } from './model-validation.js';

/** One request as tests/moto/launch_moto.py logs it. */
export interface RecordedRequest {
  service: string;
  target: string;
  method: string;
  path: string;
  query: string;
  contentType: string;
  body: string;
}

/** The parts of a full botocore service-2.json that decoding needs. */
export interface BotocoreModel {
  metadata: { protocol: string; targetPrefix?: string; apiVersion: string; endpointPrefix: string };
  operations: Record<string, { http?: { method: string; requestUri: string }; input?: { shape: string } }>;
  shapes: Record<string, BotocoreShape>;
}

interface BotocoreShape {
  type: string;
  members?: Record<string, { shape: string; location?: string; locationName?: string }>;
  member?: { shape: string };
  key?: { shape: string };
  value?: { shape: string };
  [other: string]: unknown;
}

export type RequestCheck =
  | { kind: 'checked'; operation: string; violations: string[] }
  | { kind: 'unchecked'; reason: string };

/**
 * Finds the operation of a recorded JSON or REST-JSON request and checks its input against the
 * full botocore model (shapes, required members, enums, lengths, ranges, patterns). Query-protocol
 * requests (IAM, STS, EC2) are reported as unchecked.
 */
export function checkRecordedRequest(model: BotocoreModel, request: RecordedRequest): RequestCheck {
  const { protocol } = model.metadata;
  if (protocol === 'json') {
    const operation = request.target.split('.').pop() ?? '';
    if (!model.operations[operation]) return { kind: 'checked', operation, violations: [`no operation ${operation} in the model`] };
    const input = request.body ? (JSON.parse(request.body) as unknown) : {};
    return { kind: 'checked', operation, violations: modelViolations(asServiceModel(model), operation, input) };
  }
  if (protocol === 'rest-json') {
    const match = matchRestOperation(model, request);
    if (!match) return { kind: 'checked', operation: `${request.method} ${request.path}`, violations: ['no operation of the model has this method and path'] };
    const input = restInput(model, match.operation, match.labels, request);
    return { kind: 'checked', operation: match.operation, violations: modelViolations(asServiceModel(model), match.operation, input) };
  }
  return { kind: 'unchecked', reason: `${protocol} protocol` };
}

const serviceModels = new WeakMap<BotocoreModel, ServiceModel>();

/** The validator reads member names; botocore's full shapes carry more fields, which it ignores. */
function asServiceModel(model: BotocoreModel): ServiceModel {
  let out = serviceModels.get(model);
  if (!out) {
    out = {
      source: 'botocore',
      service: model.metadata.endpointPrefix,
      apiVersion: model.metadata.apiVersion,
      protocol: model.metadata.protocol,
      targetPrefix: model.metadata.targetPrefix ?? '',
      validationError: 'ValidationException',
      operations: Object.fromEntries(Object.entries(model.operations).map(([name, op]) => [name, { input: op.input?.shape }])),
      shapes: model.shapes as unknown as ServiceModel['shapes'],
    };
    serviceModels.set(model, out);
  }
  return out;
}

function matchRestOperation(model: BotocoreModel, request: RecordedRequest): { operation: string; labels: Record<string, string> } | undefined {
  const candidates: Array<{ operation: string; labels: Record<string, string>; literal: number }> = [];
  for (const [operation, definition] of Object.entries(model.operations)) {
    if (!definition.http || definition.http.method !== request.method) continue;
    const [template] = definition.http.requestUri.split('?');
    const names: string[] = [];
    const pattern = template!.replace(/\{([^}]+)\}|[^{]+/g, (part, label: string | undefined) => {
      if (label === undefined) return part.replace(/[.*+?^$()|[\]\\]/g, '\\$&');
      names.push(label.replace(/\+$/, ''));
      return label.endsWith('+') ? '(.+)' : '([^/]+)';
    });
    const found = new RegExp(`^${pattern.replace(/\/$/, '')}/?$`).exec(request.path);
    if (!found) continue;
    const labels = Object.fromEntries(names.map((name, i) => [name, decodeURIComponent(found[i + 1]!)]));
    candidates.push({ operation, labels, literal: template!.replace(/\{[^}]+\}/g, '').length });
  }
  // The most literal template wins: /functions/{Name}/policy over /functions/{Name}.
  return candidates.sort((a, b) => b.literal - a.literal)[0];
}

function restInput(model: BotocoreModel, operation: string, labels: Record<string, string>, request: RecordedRequest): Record<string, unknown> {
  const shapeName = model.operations[operation]!.input?.shape;
  if (!shapeName) return {};
  const shape = model.shapes[shapeName]!;
  const query = new URLSearchParams(request.query);
  const body = request.body ? (JSON.parse(request.body) as Record<string, unknown>) : {};
  const input: Record<string, unknown> = {};
  for (const [name, member] of Object.entries(shape.members ?? {})) {
    const wire = member.locationName ?? name;
    if (member.location === 'uri') {
      if (wire in labels) input[name] = scalar(model, member.shape, labels[wire]!);
    } else if (member.location === 'querystring') {
      if (query.has(wire)) input[name] = scalar(model, member.shape, query.get(wire)!);
    } else if (member.location === 'header' || member.location === 'headers') {
      continue;
    } else if (wire in body) {
      input[name] = fromWire(model, member.shape, body[wire]);
    }
  }
  return input;
}

/** Nested REST-JSON members may travel under their locationName; the validator wants member names. */
function fromWire(model: BotocoreModel, shapeName: string, value: unknown): unknown {
  const shape = model.shapes[shapeName];
  if (!shape || value === null || typeof value !== 'object') return value;
  if (shape.type === 'list' && Array.isArray(value)) return value.map((item) => fromWire(model, shape.member!.shape, item));
  if (shape.type === 'map') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, fromWire(model, shape.value!.shape, v)]));
  if (shape.type === 'structure') {
    const wire = value as Record<string, unknown>;
    const out: Record<string, unknown> = {};
    const known = new Set<string>();
    for (const [name, member] of Object.entries(shape.members ?? {})) {
      const key = member.locationName ?? name;
      known.add(key);
      if (key in wire) out[name] = fromWire(model, member.shape, wire[key]);
    }
    for (const [key, v] of Object.entries(wire)) if (!known.has(key)) out[key] = v; // left for the validator to refuse
    return out;
  }
  return value;
}

function scalar(model: BotocoreModel, shapeName: string, text: string): unknown {
  const type = model.shapes[shapeName]?.type;
  if (type === 'integer' || type === 'long') return Number(text);
  if (type === 'boolean') return text === 'true';
  return text;
}
