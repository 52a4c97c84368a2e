import { DataAwsCallerIdentity } from '@cdktf/provider-aws/lib/data-aws-caller-identity';
import { DataAwsPartition } from '@cdktf/provider-aws/lib/data-aws-partition';
import { Construct } from 'constructs';

export interface AwsContextProps {
  /** Region of the stack, from the config (a literal, so ARNs can be built without a data source). */
  readonly region: string;
}

/**
 * Account, partition and region of a stack, and the ARN builders that use them.
 * ARNs are built from names that come from `config/naming`.
 */
export class AwsContext extends Construct {
  public readonly accountId: string;
  public readonly partition: string;
  public readonly region: string;

  public constructor(scope: Construct, id: string, props: AwsContextProps) {
    super(scope, id);
    this.accountId = new DataAwsCallerIdentity(this, 'caller').accountId;
    this.partition = new DataAwsPartition(this, 'partition').partition;
    this.region = props.region;
  }

  /** `arn:<partition>:<service>:<region>:<account>:<resource>` */
  public arn(service: string, resource: string, opts: { global?: boolean; noAccount?: boolean } = {}): string {
    const region = opts.global ? '' : this.region;
    const account = opts.noAccount ? '' : this.accountId;
    return `arn:${this.partition}:${service}:${region}:${account}:${resource}`;
  }
}
