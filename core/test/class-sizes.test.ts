import { describe, expect, it } from '@jest/globals';
import { parseClassSizes } from '../src/class-sizes.js';
import { isValidFargatePair } from '../src/fargate.js';

describe('class sizes (DESIGN §5)', () => {
  it('parses the parameter Terraform writes, lower-casing names and defaulting spot to false', () => {
    expect(parseClassSizes('{"Small":{"cpu":512,"memory":1024},"big":{"cpu":4096,"memory":8192,"spot":true}}')).toEqual(
      new Map([
        ['small', { cpu: 512, memory: 1024, spot: false }],
        ['big', { cpu: 4096, memory: 8192, spot: true }],
      ]),
    );
  });

  it('keeps classes as own entries: a prototype name is a class only when defined, and is never defined twice by the prototype', () => {
    const sizes = parseClassSizes('{"constructor":{"cpu":512,"memory":1024},"small":{"cpu":512,"memory":1024}}');
    expect([...sizes.keys()]).toEqual(['constructor', 'small']);
    expect(sizes.get('tostring')).toBeUndefined();
    expect(sizes.get('__proto__')).toBeUndefined();
    expect(() => parseClassSizes('{"Small":{"cpu":512,"memory":1024},"small":{"cpu":512,"memory":1024}}')).toThrow(/class "small": defined twice/);
  });

  it('refuses a "__proto__" class by name and leaves every object prototype untouched', () => {
    expect(() => parseClassSizes('{"__proto__":{"cpu":512,"memory":1024},"small":{"cpu":512,"memory":1024}}')).toThrow(/class "__proto__": name must match/);
    expect(({} as Record<string, unknown>).cpu).toBeUndefined();
  });

  it('reports every invalid class in one error', () => {
    expect(() => parseClassSizes('{"a":{"cpu":512,"memory":512},"b":{"cpu":3000,"memory":4096},"c":"x"}')).toThrow(
      /class "a": 512\/512 is not a Fargate cpu\/memory pair.*class "b".*class "c"/,
    );
  });

  it('refuses malformed JSON and empty maps', () => {
    expect(() => parseClassSizes('{')).toThrow(/not valid JSON/);
    expect(() => parseClassSizes('{}')).toThrow(/at least one class/);
    expect(() => parseClassSizes('[]')).toThrow(/JSON object/);
  });

  it('knows Fargate pairs at the edges of each range', () => {
    expect(isValidFargatePair(256, 2048)).toBe(true);
    expect(isValidFargatePair(256, 3072)).toBe(false);
    expect(isValidFargatePair(8192, 61440)).toBe(true);
    expect(isValidFargatePair(8192, 18432)).toBe(false);
    expect(isValidFargatePair(16384, 122880)).toBe(true);
  });
});
