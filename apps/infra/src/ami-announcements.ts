/**
 * Which of AWS's ECS-optimized AMI announcement topics the stack subscribes its function to, given the
 * stack's Region. AWS publishes the announcement from its account 177427601217 in one topic per Region;
 * the Amazon ECS Developer Guide ("Subscribing to Amazon ECS-optimized AMI update notifications",
 * awsdocs/amazon-ecs-developer-guide doc_source/ECS-AMI-SubscribeTopic.md) lists the Linux topic in the
 * sixteen Regions below. Elsewhere the function can only hear us-east-1's topic, across Regions: the
 * Amazon SNS Developer Guide ("Sending Amazon SNS messages to an Amazon SQS queue or AWS Lambda function in
 * a different Region") supports that delivery between Regions enabled by default (launched before
 * 20 March 2019), with the subscription made in the topic's Region, but not from a Region enabled by
 * default to a Lambda function in an opt-in Region. So a stack in an opt-in Region AWS lists no topic for
 * (or a stack whose Region is unknown at synthesis) subscribes to none, and its function runs on its
 * schedule alone.
 */

/** The Regions with an ECS-optimized AMI announcement topic of their own (Amazon ECS Developer Guide). */
export const regionsWithAnnouncementTopic: ReadonlyArray<string> = [
  "us-east-1",
  "us-east-2",
  "us-west-1",
  "us-west-2",
  "ap-east-1",
  "ap-northeast-1",
  "ap-northeast-2",
  "ap-southeast-1",
  "ap-southeast-2",
  "ap-south-1",
  "ca-central-1",
  "eu-west-1",
  "eu-west-2",
  "eu-west-3",
  "eu-central-1",
  "sa-east-1",
]

/** Regions enabled by default that SNS delivers to across Regions (the SNS guide lists ap-northeast-3 as opt-in). */
const regionsEnabledByDefault: ReadonlyArray<string> = [
  "us-east-1",
  "us-east-2",
  "us-west-1",
  "us-west-2",
  "ca-central-1",
  "sa-east-1",
  "eu-west-1",
  "eu-west-2",
  "eu-west-3",
  "eu-central-1",
  "eu-north-1",
  "ap-northeast-1",
  "ap-northeast-2",
  "ap-southeast-1",
  "ap-southeast-2",
  "ap-south-1",
]

/** Where the stack's function hears about new ECS-optimized AMIs. */
export type AnnouncementSource =
  | { readonly _tag: "SameRegion"; readonly topicRegion: string }
  | { readonly _tag: "CrossRegion"; readonly topicRegion: "us-east-1" }
  | { readonly _tag: "None"; readonly reason: string }

/** The announcement topic for a stack in `region` (`undefined`: not known at synthesis). */
export const announcementSourceFor = (region: string | undefined): AnnouncementSource => {
  if (region === undefined)
    return {
      _tag: "None",
      reason:
        "the stack's Region is not known at synthesis (give env.region, or deploy with the CDK CLI, which sets it from the profile), so no announcement topic can be chosen",
    }
  if (regionsWithAnnouncementTopic.includes(region)) return { _tag: "SameRegion", topicRegion: region }
  if (regionsEnabledByDefault.includes(region)) return { _tag: "CrossRegion", topicRegion: "us-east-1" }
  return {
    _tag: "None",
    reason: `AWS documents no ECS-optimized AMI announcement topic in ${region}, and SNS does not deliver from a Region enabled by default (us-east-1) to a Lambda function in an opt-in Region`,
  }
}
