import type { MetricUnit } from '@aws-lambda-powertools/metrics';
import type { FleetMetrics } from '../domain/ports.js';
import { lazy } from '../runtime/lazy.js';

export const METRICS_NAMESPACE = 'RunnerFleet';
/** The `service` dimension Powertools adds to every metric; the dashboard and alarms (modules/control-plane/monitoring.tf) name it too. */
export const METRICS_SERVICE = 'runner-fleet-control-plane';
/** EMF allows 100 values per metric in one line; Powertools would print a full one by itself, so lines are cut first. */
const VALUES_PER_LINE = 90;

interface Point {
  name: string;
  unit: (typeof MetricUnit)[keyof typeof MetricUnit];
  value: number;
  reason?: string;
}

/**
 * The FleetMetrics port over Powertools Metrics. Recording only buffers, so a
 * route that records nothing (ingress) never loads Powertools Metrics; a flush
 * loads it once and writes one EMF line per dimension set (LaunchFailures
 * is written fleet-wide and per `reason`). `write` receives the lines: stdout in Lambda
 * (CloudWatch Logs turns them into metrics), a collector in the sandbox.
 */
export function createFleetMetrics(options: { write?: (emfLine: string) => void; fleet: string }): FleetMetrics {
  const write = options.write ?? ((line: string) => process.stdout.write(`${line}\n`));
  const powertools = lazy(() => import('@aws-lambda-powertools/metrics'));
  let points: Point[] = [];

  return {
    count(name, value = 1, dimensions) {
      if (value <= 0) return;
      points.push({ name, unit: 'Count', value });
      // Per reason as well: an alarm needs the total (it cannot SEARCH), a dashboard the breakdown.
      if (dimensions?.reason) points.push({ name, unit: 'Count', value, reason: dimensions.reason });
    },
    gauge(name, value) {
      points.push({ name, unit: 'Count', value });
    },
    seconds(name, value) {
      points.push({ name, unit: 'Seconds', value: Math.max(0, value) });
    },
    async flush() {
      if (points.length === 0) return;
      const batch = points;
      points = [];
      const { Metrics } = await powertools();
      for (const reason of new Set(batch.map((p) => p.reason))) {
        const metrics = new Metrics({ namespace: METRICS_NAMESPACE, serviceName: METRICS_SERVICE, defaultDimensions: { fleet: options.fleet, ...(reason ? { reason } : {}) } });
        const valuesPerName = new Map<string, number>();
        const publish = () => {
          if (!metrics.hasStoredMetrics()) return;
          write(JSON.stringify(metrics.serializeMetrics()));
          metrics.clearMetrics();
          valuesPerName.clear();
        };
        for (const point of batch.filter((p) => p.reason === reason)) {
          if ((valuesPerName.get(point.name) ?? 0) >= VALUES_PER_LINE) publish();
          metrics.addMetric(point.name, point.unit, point.value);
          valuesPerName.set(point.name, (valuesPerName.get(point.name) ?? 0) + 1);
        }
        publish();
      }
    },
  };
}
