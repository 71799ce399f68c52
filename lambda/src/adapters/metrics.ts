import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import type { FleetMetrics } from '../domain/ports.js';

export const METRICS_NAMESPACE = 'RunnerFleet';
const SERVICE = 'runner-fleet-control-plane';

/**
 * Powertools Metrics as the FleetMetrics port. One Metrics per dimension set
 * (LaunchFailures carries a `reason`), each serialised to one EMF line per
 * flush. `write` receives the lines: stdout in Lambda (CloudWatch Logs turns
 * them into metrics), a collector in the sandbox.
 */
export function createFleetMetrics(options: { write?: (emfLine: string) => void; fleet: string }): FleetMetrics {
  const write = options.write ?? ((line: string) => process.stdout.write(`${line}\n`));
  const byDimensions = new Map<string, Metrics>();
  const stored = new Map<Metrics, number>();
  const publish = (metrics: Metrics) => {
    if (!metrics.hasStoredMetrics()) return;
    const emf = metrics.serializeMetrics();
    metrics.clearMetrics();
    stored.set(metrics, 0);
    write(JSON.stringify(emf));
  };
  // EMF allows 100 values per metric; Powertools would flush to stdout by itself there, so publish first.
  const add = (metrics: Metrics, name: string, unit: (typeof MetricUnit)[keyof typeof MetricUnit], value: number) => {
    if ((stored.get(metrics) ?? 0) >= 90) publish(metrics);
    metrics.addMetric(name, unit, value);
    stored.set(metrics, (stored.get(metrics) ?? 0) + 1);
  };
  const metricsFor = (dimensions: Record<string, string> = {}): Metrics => {
    const key = JSON.stringify(dimensions);
    let metrics = byDimensions.get(key);
    if (!metrics) {
      metrics = new Metrics({ namespace: METRICS_NAMESPACE, serviceName: SERVICE, defaultDimensions: { fleet: options.fleet, ...dimensions } });
      byDimensions.set(key, metrics);
    }
    return metrics;
  };
  return {
    count(name, value = 1, dimensions) {
      if (value > 0 || name === 'ActiveRunners' || name === 'RunnerCap' || name === 'RunnersWaitingForSlot') add(metricsFor(dimensions), name, MetricUnit.Count, value);
    },
    seconds(name, value) {
      add(metricsFor(), name, MetricUnit.Seconds, Math.max(0, value));
    },
    flush() {
      for (const metrics of byDimensions.values()) publish(metrics);
    },
  };
}
