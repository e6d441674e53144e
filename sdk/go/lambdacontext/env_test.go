package lambdacontext

import "testing"

func TestLoadEnv(t *testing.T) {
	t.Setenv("AWS_LAMBDA_FUNCTION_NAME", "uppercase")
	t.Setenv("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
	t.Setenv("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "256")
	t.Setenv("AWS_LAMBDA_LOG_GROUP_NAME", "/aws/lambda/uppercase")
	t.Setenv("AWS_LAMBDA_LOG_STREAM_NAME", "2026/04/25/[$LATEST]bbc516425cae453eb41318c68a471e16")
	loadEnv()
	t.Cleanup(loadEnv)
	if FunctionName != "uppercase" || FunctionVersion != "$LATEST" || MemoryLimitInMB != 256 ||
		LogGroupName != "/aws/lambda/uppercase" || LogStreamName != "2026/04/25/[$LATEST]bbc516425cae453eb41318c68a471e16" {
		t.Errorf("got %q %q %d %q %q", FunctionName, FunctionVersion, MemoryLimitInMB, LogGroupName, LogStreamName)
	}
	t.Setenv("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "lots")
	loadEnv()
	if MemoryLimitInMB != 0 {
		t.Errorf("MemoryLimitInMB = %d for a non-number, want 0", MemoryLimitInMB)
	}
}
