import type { ModelShape, ServiceModel } from './aws-models.js';
import { AwsError } from './protocol.js';

/**
 * Checks a JSON 1.1 request body against the operation's input shape in the vendor's model and
 * returns the violations in AWS's wording ("Value 'x' at 'a.b' failed to satisfy constraint: ...").
 * Unknown members are refused too: the sandbox is stricter than AWS there, so a typo in our calls
 * surfaces instead of being silently ignored.
 */
export function modelViolations(model: ServiceModel, operation: string, input: unknown): string[] {
  const definition = model.operations[operation];
  if (!definition) return [`${model.service} has no operation ${operation} in the vendored model`];
  const violations: string[] = [];
  if (!definition.input) {
    if (isObject(input) && Object.keys(input).length > 0) violations.push(`${operation} takes no input`);
    return violations;
  }
  checkValue(model, definition.input, input, '', violations);
  return violations;
}

/** Checks a value the sandbox produces (an output, a stream record) against one shape of the vendor's model. */
export function shapeViolations(model: ServiceModel, shapeName: string, value: unknown): string[] {
  const violations: string[] = [];
  checkValue(model, shapeName, value, '', violations);
  return violations;
}

/** Throws the service's validation error when the request breaks the model or a documented cross-field rule. */
export function validateRequest(model: ServiceModel, operation: string, input: unknown): void {
  const violations = [...modelViolations(model, operation, input), ...crossFieldViolations(model.service, operation, input)];
  if (violations.length === 0) return;
  const count = `${violations.length} validation error${violations.length === 1 ? '' : 's'} detected`;
  throw new AwsError(model.validationError, `${count}: ${violations.join('; ')}`);
}

/** Rules the operation's documentation states and the shapes cannot express. */
export function crossFieldViolations(service: string, operation: string, input: unknown): string[] {
  if (!isObject(input)) return [];
  if (service === 'ecs' && operation === 'ListTasks' && input.startedBy !== undefined) {
    // The model's documentation of ListTasksRequest.startedBy: "When you specify startedBy as the
    // filter, it must be the only filter that you use." cluster and paging are not filters.
    const others = Object.keys(input).filter((name) => !['startedBy', 'cluster', 'maxResults', 'nextToken'].includes(name));
    if (others.length > 0) return [`startedBy must be the only filter (with cluster), but ${others.join(', ')} ${others.length === 1 ? 'was' : 'were'} also given`];
  }
  return [];
}

function checkValue(model: ServiceModel, shapeName: string, value: unknown, path: string, violations: string[]): void {
  const shape = model.shapes[shapeName];
  if (!shape) {
    violations.push(`shape ${shapeName} at '${path}' is missing from the vendored model`);
    return;
  }
  const at = path || 'input';
  const typeProblem = typeMismatch(shape, value);
  if (typeProblem) {
    violations.push(`Value ${show(value)} at '${at}' failed to satisfy constraint: Member must be ${typeProblem}`);
    return;
  }
  switch (shape.type) {
    case 'structure':
      return checkStructure(model, shape, value as Record<string, unknown>, path, violations);
    case 'list': {
      const items = value as unknown[];
      checkLength(shape, items.length, value, at, violations, 'have length');
      items.forEach((item, index) => checkValue(model, shape.member!.shape, item, `${path}.${index + 1}.member`.replace(/^\./, ''), violations));
      return;
    }
    case 'map': {
      const entries = Object.entries(value as Record<string, unknown>);
      checkLength(shape, entries.length, value, at, violations, 'have length');
      for (const [key, item] of entries) {
        checkValue(model, shape.key!.shape, key, `${path}.${key}.key`.replace(/^\./, ''), violations);
        checkValue(model, shape.value!.shape, item, `${path}.${key}.value`.replace(/^\./, ''), violations);
      }
      return;
    }
    case 'string':
    case 'blob': {
      const text = value as string;
      if (shape.enum && !shape.enum.includes(text)) violations.push(`Value ${show(value)} at '${at}' failed to satisfy constraint: Member must satisfy enum value set: [${shape.enum.join(', ')}]`);
      checkLength(shape, [...text].length, value, at, violations, 'have length');
      if (shape.pattern && !matches(shape.pattern, text)) violations.push(`Value ${show(value)} at '${at}' failed to satisfy constraint: Member must satisfy regular expression pattern: ${shape.pattern}`);
      return;
    }
    case 'integer':
    case 'long':
    case 'double':
    case 'float':
      if (shape.min !== undefined && (value as number) < shape.min) violations.push(`Value ${show(value)} at '${at}' failed to satisfy constraint: Member must have value greater than or equal to ${shape.min}`);
      if (shape.max !== undefined && (value as number) > shape.max) violations.push(`Value ${show(value)} at '${at}' failed to satisfy constraint: Member must have value less than or equal to ${shape.max}`);
      return;
    default:
      return;
  }
}

function checkStructure(model: ServiceModel, shape: ModelShape, value: Record<string, unknown>, path: string, violations: string[]): void {
  const members = shape.members ?? {};
  for (const name of shape.required ?? []) {
    if (value[name] === undefined || value[name] === null) violations.push(`Value null at '${join(path, name)}' failed to satisfy constraint: Member must not be null`);
  }
  for (const [name, member] of Object.entries(value)) {
    if (member === undefined || member === null) continue;
    const ref = members[name];
    if (!ref) {
      violations.push(`Unknown member '${join(path, name)}' (the model's members: ${Object.keys(members).join(', ') || 'none'})`);
      continue;
    }
    checkValue(model, ref.shape, member, join(path, name), violations);
  }
}

function checkLength(shape: ModelShape, length: number, value: unknown, at: string, violations: string[], what: string): void {
  if (shape.min !== undefined && length < shape.min) violations.push(`Value ${show(value)} at '${at}' failed to satisfy constraint: Member must ${what} greater than or equal to ${shape.min}`);
  if (shape.max !== undefined && length > shape.max) violations.push(`Value ${show(value)} at '${at}' failed to satisfy constraint: Member must ${what} less than or equal to ${shape.max}`);
}

/** What the value should have been, when its JSON type does not fit the shape's type. */
function typeMismatch(shape: ModelShape, value: unknown): string | undefined {
  switch (shape.type) {
    case 'structure':
    case 'map':
      return isObject(value) ? undefined : 'an object';
    case 'list':
      return Array.isArray(value) ? undefined : 'a list';
    case 'string':
    case 'blob':
      return typeof value === 'string' ? undefined : 'a string';
    case 'boolean':
      return typeof value === 'boolean' ? undefined : 'a boolean';
    case 'integer':
    case 'long':
      return Number.isInteger(value) ? undefined : 'an integer';
    case 'double':
    case 'float':
      return typeof value === 'number' ? undefined : 'a number';
    case 'timestamp':
      // The SDK sends epoch seconds; ISO strings are accepted by AWS too.
      return typeof value === 'number' || (typeof value === 'string' && !Number.isNaN(Date.parse(value))) ? undefined : 'a timestamp';
    default:
      return undefined;
  }
}

const compiled = new Map<string, RegExp | null>();
/** AWS matches the whole value (Java's matches()); a Java-only pattern JavaScript cannot compile is not enforced. */
function matches(pattern: string, text: string): boolean {
  if (!compiled.has(pattern)) {
    try {
      compiled.set(pattern, new RegExp(`^(?:${pattern})$`, 'u'));
    } catch {
      compiled.set(pattern, null);
    }
  }
  return compiled.get(pattern)?.test(text) ?? true;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function join(path: string, name: string): string {
  return path ? `${path}.${name}` : name;
}

function show(value: unknown): string {
  const text = typeof value === 'string' ? value : JSON.stringify(value);
  return `'${text !== undefined && text.length > 80 ? `${text.slice(0, 77)}...` : text}'`;
}
