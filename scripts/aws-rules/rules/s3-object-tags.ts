/**
 * Tags: an S3 object carries at most 10, and a resource that overrides the provider's default tags
 * must not repeat them in its own tags (the provider then drops them: hashicorp/terraform-provider-aws#45506).
 */
import { allOf, effectiveTags, overriddenDefaultTags, ownTags, providerDefaultTags, type Finding, type Rule, type RuleSource } from '../engine';

const OBJECT_TAGGING: RuleSource = {
  title: 'Amazon S3 User Guide: Categorizing your objects using tags (up to 10 tags per object)',
  url: 'https://docs.aws.amazon.com/AmazonS3/latest/userguide/object-tagging.html',
};
const ISSUE_45506: RuleSource = {
  title:
    'hashicorp/terraform-provider-aws#45506 (open, reported on 6.25.0, the pinned version): a resource with override_provider default_tags ' +
    "whose tags repeat the provider's default tags is created without them, and every plan shows a tag change",
  url: 'https://github.com/hashicorp/terraform-provider-aws/issues/45506',
};
const DEFAULT_TAGS: RuleSource = {
  title: 'Terraform AWS provider: default_tags configuration block',
  url: 'https://registry.terraform.io/providers/hashicorp/aws/latest/docs#default_tags-configuration-block',
};

export const MAX_OBJECT_TAGS = 10;

export const objectTagCount: Rule = {
  id: 's3-object-tag-count',
  family: 's3-object-tags',
  title: 'An S3 object carries at most 10 tags, its provider default tags (unless overridden) included',
  sources: [OBJECT_TAGGING, DEFAULT_TAGS],
  check(ctx): Finding[] {
    const out: Finding[] = [];
    for (const { stack, r } of allOf(ctx.stacks, 'aws_s3_object')) {
      const tags = effectiveTags(stack, r);
      const n = Object.keys(tags).length;
      if (n > MAX_OBJECT_TAGS) {
        out.push({
          stack,
          address: r.address,
          message: `the object would carry ${n} tags (${overriddenDefaultTags(r) !== undefined ? 'the overridden default tags' : "the provider's default tags"} and its own); S3 allows ${MAX_OBJECT_TAGS}`,
          value: tags,
        });
      }
    }
    return out;
  },
};

export const noRepeatedDefaultTags: Rule = {
  id: 'default-tags-repeated',
  family: 's3-object-tags',
  title: "A resource that overrides the provider's default tags (override_provider) does not repeat them, key and value, in its own tags",
  sources: [ISSUE_45506, DEFAULT_TAGS],
  check(ctx): Finding[] {
    const out: Finding[] = [];
    for (const stack of ctx.stacks) {
      for (const r of stack.state.resources) {
        if (r.mode !== 'managed' || overriddenDefaultTags(r) === undefined) continue;
        const defaults = providerDefaultTags(stack, r);
        const repeated = Object.entries(ownTags(r)).filter(([k, v]) => defaults[k] === v);
        if (repeated.length === 0) continue;
        out.push({
          stack,
          address: r.address,
          message:
            `its tags repeat the provider's default tags ${repeated.map(([k, v]) => `${k}=${v}`).join(', ')} under override_provider; ` +
            'provider 6.25.0 creates it without them and shows a tag change on every plan',
          value: Object.fromEntries(repeated),
        });
      }
    }
    return out;
  },
};

export const TAG_RULES: readonly Rule[] = [objectTagCount, noRepeatedDefaultTags];
