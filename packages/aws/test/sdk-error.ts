/**
 * SDK service exceptions as the clients throw them (name = AWS error code, fault, HTTP status), for
 * the adapters' error-mapping tests.
 */
import { AutoScalingServiceException } from "@aws-sdk/client-auto-scaling"
import { CloudWatchServiceException } from "@aws-sdk/client-cloudwatch"
import { EC2ServiceException } from "@aws-sdk/client-ec2"
import { ECSServiceException } from "@aws-sdk/client-ecs"
import { ElasticLoadBalancingV2ServiceException } from "@aws-sdk/client-elastic-load-balancing-v2"
import { IAMServiceException } from "@aws-sdk/client-iam"
import { SSMServiceException } from "@aws-sdk/client-ssm"
import { STSServiceException } from "@aws-sdk/client-sts"

const exceptionClasses = {
  ec2: EC2ServiceException,
  autoscaling: AutoScalingServiceException,
  ecs: ECSServiceException,
  ssm: SSMServiceException,
  sts: STSServiceException,
  cloudwatch: CloudWatchServiceException,
  iam: IAMServiceException,
  elasticloadbalancing: ElasticLoadBalancingV2ServiceException,
}

/** An exception of `service` with the given code; a 5xx status makes it a server fault. */
export const sdkError = (
  service: keyof typeof exceptionClasses,
  code: string,
  message = `${code} happened`,
  httpStatusCode = 400,
) =>
  new exceptionClasses[service]({
    name: code,
    message,
    $fault: httpStatusCode >= 500 ? "server" : "client",
    $metadata: { httpStatusCode },
  })
