// BASELINE for bench/synth.ts: what `cdktf init --template=typescript` leads to. It runs under
// ts-node through `cdktf synth`, imports the provider from the package root, and creates one
// resource per event type. Not part of the product; do not copy this style.
import { App, TerraformStack, TerraformOutput } from 'cdktf';
import { Construct } from 'constructs';
import * as aws from '@cdktf/provider-aws';
import { readFileSync } from 'fs';
import { parse } from 'yaml';

interface Cfg {
  project: string;
  environments: Record<string, { region: string }>;
  applications: { name: string; eventTypes: (string | { name: string })[] }[];
}

class Baseline extends TerraformStack {
  constructor(scope: Construct, id: string, cfg: Cfg, env: string, region: string) {
    super(scope, id);
    new aws.provider.AwsProvider(this, 'aws', { region, defaultTags: [{ tags: { project: cfg.project, environment: env } }] });
    const p = `${cfg.project}-${env}`;
    const bucket = new aws.s3Bucket.S3Bucket(this, 'bucket', { bucket: `${p}-tracking-events` });
    new aws.s3BucketPublicAccessBlock.S3BucketPublicAccessBlock(this, 'pab', {
      bucket: bucket.id, blockPublicAcls: true, blockPublicPolicy: true, ignorePublicAcls: true, restrictPublicBuckets: true,
    });
    new aws.s3BucketVersioning.S3BucketVersioningA(this, 'versioning', { bucket: bucket.id, versioningConfiguration: { status: 'Enabled' } });
    const group = new aws.cloudwatchLogGroup.CloudwatchLogGroup(this, 'logs', { name: `/aws/kinesisfirehose/${p}`, retentionInDays: 30 });
    const role = new aws.iamRole.IamRole(this, 'role', {
      name: `${p}-firehose`,
      assumeRolePolicy: JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { Service: 'firehose.amazonaws.com' }, Action: 'sts:AssumeRole' }] }),
    });
    const fn = new aws.lambdaFunction.LambdaFunction(this, 'transform', {
      functionName: `${p}-jsonl-transform`, role: role.arn, runtime: 'nodejs22.x', handler: 'index.handler', filename: 'transform.zip',
    });
    for (const app of cfg.applications) {
      for (const t of app.eventTypes) {
        const type = typeof t === 'string' ? t : t.name;
        const name = `${p}-${app.name}-${type}`;
        const stream = new aws.cloudwatchLogStream.CloudwatchLogStream(this, `log-${app.name}-${type}`, { name, logGroupName: group.name });
        new aws.kinesisFirehoseDeliveryStream.KinesisFirehoseDeliveryStream(this, `fh-${app.name}-${type}`, {
          name,
          destination: 'extended_s3',
          serverSideEncryption: { enabled: true, keyType: 'AWS_OWNED_CMK' },
          extendedS3Configuration: {
            roleArn: role.arn,
            bucketArn: bucket.arn,
            prefix: `events/application=${app.name}/event_type=${type}/year=!{timestamp:yyyy}/month=!{timestamp:MM}/day=!{timestamp:dd}/hour=!{timestamp:HH}/`,
            errorOutputPrefix: `errors/application=${app.name}/event_type=${type}/!{firehose:error-output-type}/year=!{timestamp:yyyy}/month=!{timestamp:MM}/day=!{timestamp:dd}/hour=!{timestamp:HH}/`,
            bufferingSize: 64,
            bufferingInterval: 300,
            compressionFormat: 'GZIP',
            cloudwatchLoggingOptions: { enabled: true, logGroupName: group.name, logStreamName: stream.name },
            processingConfiguration: {
              enabled: true,
              processors: [{ type: 'Lambda', parameters: [{ parameterName: 'LambdaArn', parameterValue: `${fn.arn}:$LATEST` }, { parameterName: 'BufferSizeInMBs', parameterValue: '0.5' }] }],
            },
          },
        });
      }
    }
    new TerraformOutput(this, 'bucket-name', { value: bucket.bucket });
  }
}

const cfg = parse(readFileSync(process.env.TRACKING_CONFIG as string, 'utf8')) as Cfg;
const app = new App();
for (const [env, { region }] of Object.entries(cfg.environments)) new Baseline(app, `tracking-${env}`, cfg, env, region);
app.synth();
