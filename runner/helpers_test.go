package runner_test

import (
	"errors"

	"github.com/wasmap/wasmap/runner"
)

func asValidation(err error, ve **runner.ValidationError) bool { return errors.As(err, ve) }
