import { describe, expect, it } from '@jest/globals';
import { createFleetMetrics, METRICS_NAMESPACE } from '../src/adapters/metrics.js';

type Emf = Record<string, unknown> & { _aws: { CloudWatchMetrics: Array<{ Namespace: string; Dimensions: string[][]; Metrics: Array<{ Name: string; Unit: string }> }> } };

describe('FleetMetrics over Powertools (EMF)', () => {
  const collect = () => {
    const lines: Emf[] = [];
    return { lines, metrics: createFleetMetrics({ fleet: 'ecs-runner', write: (line) => void lines.push(JSON.parse(line) as Emf) }) };
  };

  it('writes nothing when nothing was recorded, and skips zero counts', async () => {
    const { lines, metrics } = collect();
    metrics.count('RunnersReaped', 0);
    await metrics.flush();
    expect(lines).toEqual([]);
  });

  it('writes counts, gauges (zero too) and seconds in one line, and LaunchFailures per reason in their own', async () => {
    const { lines, metrics } = collect();
    metrics.count('RunnersLaunched');
    metrics.gauge('RunnersWaiting', 0);
    metrics.seconds('QueuedToStartingSeconds', 1.5);
    metrics.count('LaunchFailures', 1, { reason: 'capacity' });
    await metrics.flush();

    expect(lines).toHaveLength(2);
    const [plain, capacity] = lines as [Emf, Emf];
    expect(plain).toMatchObject({ fleet: 'ecs-runner', RunnersLaunched: 1, RunnersWaiting: 0, QueuedToStartingSeconds: 1.5 });
    expect(plain._aws.CloudWatchMetrics[0]!.Namespace).toBe(METRICS_NAMESPACE);
    expect(capacity).toMatchObject({ reason: 'capacity', LaunchFailures: 1 });
    expect(capacity._aws.CloudWatchMetrics[0]!.Dimensions[0]).toContain('reason');

    await metrics.flush();
    expect(lines).toHaveLength(2); // a flush empties the buffer
  });

  it('splits more values of one metric than an EMF line may carry', async () => {
    const { lines, metrics } = collect();
    for (let i = 0; i < 150; i++) metrics.seconds('StartingToIdleSeconds', i);
    await metrics.flush();
    const values = lines.flatMap((l) => l.StartingToIdleSeconds as number[]);
    expect(lines.length).toBe(2);
    expect(values).toHaveLength(150);
  });
});

describe('LaunchFailures', () => {
  it('is written fleet-wide, for an alarm, and per reason, for the dashboard', async () => {
    const lines: Emf[] = [];
    const metrics = createFleetMetrics({ fleet: 'ecs-runner', write: (line) => void lines.push(JSON.parse(line) as Emf) });
    metrics.count('LaunchFailures', 2, { reason: 'capacity' });
    await metrics.flush();
    const fleetWide = lines.find((l) => l.reason === undefined);
    expect(fleetWide).toMatchObject({ LaunchFailures: 2 });
    expect(fleetWide!._aws.CloudWatchMetrics[0]!.Dimensions).toEqual([['service', 'fleet']]);
    expect(lines.find((l) => l.reason === 'capacity')).toMatchObject({ LaunchFailures: 2 });
  });
});
