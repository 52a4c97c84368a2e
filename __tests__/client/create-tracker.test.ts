/**
 * createTracker: where the known event types come from, and the typed errors for a tracker that
 * cannot work (bad options, unknown environment, project / region mismatch, no root stream).
 */
import {
  createTracker,
  ManifestError,
  ProjectMismatchError,
  RegionMismatchError,
  RootStreamUnavailableError,
  TRACKER_DEFAULTS,
  TrackerOptionsError,
  UnknownEnvironmentError,
  type Tracker,
  type TrackerOptions,
} from '../../client/node/index';
import { catalog, configFiles, manifest, PROJECT, rootStreamOf, streamOf, trackerOptions } from './factories';

describe('createTracker', () => {
  const files = configFiles();
  afterAll(() => files.cleanup());
  const trackers: Tracker[] = [];
  afterEach(async () => {
    await Promise.all(trackers.splice(0).map((t) => t.close()));
  });
  const make = (o: TrackerOptions): Tracker => {
    const t = createTracker(o as TrackerOptions);
    trackers.push(t);
    return t;
  };

  describe.each<{ source: string; options: () => Partial<TrackerOptions> }>([
    { source: 'catalog module', options: () => ({ catalog: catalog() as never, manifest: undefined as never }) },
    { source: 'manifest path', options: () => ({ manifest: files.manifestPath }) },
    { source: 'manifest object', options: () => ({ manifest: manifest() }) },
  ])('from a $source', ({ options }) => {
    it('knows every event type with its delivery stream, the region and the root stream', () => {
      // Prepare
      const o = trackerOptions({ environment: 'dev', ...options() });

      // Act
      const t = make(o);

      // Assess
      expect(t.catalog.region).toBe('eu-central-1');
      expect(t.catalog.rootStream).toBe(rootStreamOf('dev'));
      expect(t.catalog.apps.get('web-shop')?.get('page_view')?.deliveryStream).toBe(streamOf('web-shop', 'page_view', 'dev'));
      expect([...t.catalog.apps.get('mobile-app')!.keys()].sort()).toEqual(['app_open', 'screen_view']);
    });
  });

  it('applies the documented defaults', () => {
    // Act
    const t = make({ project: PROJECT, environment: 'prod', manifest: manifest() });

    // Assess
    expect(t.options).toMatchObject(TRACKER_DEFAULTS);
    expect(t.options.packedRecordBytes).toBe(5_120);
  });

  it('forces packing off in root-stream mode', () => {
    // Act
    const t = make(trackerOptions({ environment: 'dev', mode: 'root-stream', packing: true }));

    // Assess
    expect(t.options.packing).toBe(false);
  });

  describe.each<{ name: string; options: () => TrackerOptions; error: new (...args: never[]) => Error; message: RegExp }>([
    {
      name: 'an unknown environment',
      options: () => trackerOptions({ environment: 'staging' }),
      error: UnknownEnvironmentError,
      message: /"staging".*known environments: dev, prod/,
    },
    {
      name: 'another project',
      options: () => trackerOptions({ project: 'other' }),
      error: ProjectMismatchError,
      message: /project "acme".*project "other"/,
    },
    {
      name: 'another region',
      options: () => trackerOptions({ region: 'eu-west-1' }),
      error: RegionMismatchError,
      message: /us-east-1.*eu-west-1/,
    },
    {
      name: 'root-stream mode without a root stream',
      options: () => trackerOptions({ environment: 'prod', mode: 'root-stream' }),
      error: RootStreamUnavailableError,
      message: /"prod" has no Kinesis root stream/,
    },
    {
      name: 'both a catalog and a manifest',
      options: () => trackerOptions({ catalog: catalog() as never }),
      error: TrackerOptionsError,
      message: /exactly one of catalog/,
    },
    {
      name: 'a YAML config path (the infrastructure side: the package does not read YAML)',
      options: () => ({ ...trackerOptions({ manifest: undefined as never }), config: files.configPath }) as TrackerOptions,
      error: TrackerOptionsError,
      message: /config option \(a YAML path\) is not supported: generate a catalog module with `npx tracking types --out <dir>`/,
    },
    {
      name: 'a negative maxBatchDelayMs',
      options: () => trackerOptions({ maxBatchDelayMs: -1 }),
      error: TrackerOptionsError,
      message: /maxBatchDelayMs must be an integer/,
    },
    {
      name: 'a packed record over 1,000 KiB',
      options: () => trackerOptions({ packedRecordBytes: 2_000_000 }),
      error: TrackerOptionsError,
      message: /packedRecordBytes/,
    },
    {
      name: 'an unknown mode',
      options: () => trackerOptions({ mode: 'fast' as never }),
      error: TrackerOptionsError,
      message: /mode must be/,
    },
    {
      name: 'a missing manifest file',
      options: () => trackerOptions({ manifest: `${files.manifestPath}.missing` }),
      error: ManifestError,
      message: /cannot read/,
    },
    {
      name: 'a manifest of the wrong shape',
      options: () => trackerOptions({ manifest: { version: 99 } as never }),
      error: ManifestError,
      message: /not a tracking manifest/,
    },
  ])('with $name', ({ options, error, message }) => {
    it('throws a typed error', () => {
      // Act
      const act = (): unknown => make(options());

      // Assess
      expect(act).toThrow(error);
      expect(act).toThrow(message);
    });
  });
});
