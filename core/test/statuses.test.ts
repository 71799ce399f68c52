import { describe, expect, it } from '@jest/globals';
import { ALL_STATUSES, canTransition, isActive, isTerminal, isWaitingForLaunch, type RunnerStatus } from '../src/statuses.js';

describe('runner status transitions (DESIGN §4)', () => {
  it('moves forward along the life cycle, skipping steps when events arrive out of order', () => {
    expect(canTransition('queued', 'image_building')).toBe(true);
    expect(canTransition('queued', 'starting')).toBe(true);
    expect(canTransition('starting', 'idle')).toBe(true);
    expect(canTransition('starting', 'busy')).toBe(true);
    expect(canTransition('busy', 'completed')).toBe(true);
  });

  it('never moves backwards or stays in place', () => {
    expect(canTransition('busy', 'idle')).toBe(false);
    expect(canTransition('idle', 'starting')).toBe(false);
    expect(canTransition('starting', 'queued')).toBe(false);
    expect(canTransition('idle', 'idle')).toBe(false);
  });

  it('lets any live status end as failed, cancelled or terminated', () => {
    for (const from of ['queued', 'image_building', 'starting', 'idle', 'busy'] as RunnerStatus[]) {
      for (const to of ['failed', 'cancelled', 'terminated'] as RunnerStatus[]) expect(canTransition(from, to)).toBe(true);
    }
  });

  it('never changes a terminal record again', () => {
    const all: RunnerStatus[] = ['queued', 'image_building', 'starting', 'idle', 'busy', 'completed', 'failed', 'cancelled', 'terminated'];
    for (const from of all.filter(isTerminal)) {
      for (const to of all) expect(canTransition(from, to)).toBe(false);
    }
  });

  it('splits the live statuses into waiting for a launch and active (holding a slot)', () => {
    expect(ALL_STATUSES.filter(isWaitingForLaunch)).toEqual(['queued', 'image_building']);
    expect(ALL_STATUSES.filter(isActive)).toEqual(['starting', 'idle', 'busy']);
  });
});
