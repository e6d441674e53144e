package execenv

import (
	"errors"
	"testing"
)

// TestEnvStates walks the environment's lifecycle: each state allows exactly the transitions
// of Lambda's lifecycle, and refuses the rest with ErrNotAllowed. Shutdown is allowed once.
func TestEnvStates(t *testing.T) {
	type tr = func(envState) (envState, error)
	all := map[string]tr{"registered": envState.registered, "runtimeReady": envState.runtimeReady, "ready": envState.ready,
		"initFailed": envState.initFailed, "invoke": envState.invoke, "runtimeDone": envState.runtimeDone,
		"extensionsDone": envState.extensionsDone, "shutdown": envState.shutdown, "ended": envState.ended}
	legal := map[string]map[string]string{ // state -> transition -> next state
		"InitExtensions": {"registered": "InitRuntime", "initFailed": "InitFailed", "shutdown": "Shutdown"},
		"InitRuntime":    {"runtimeReady": "InitReady", "initFailed": "InitFailed", "shutdown": "Shutdown"},
		"InitReady":      {"ready": "Idle", "initFailed": "InitFailed", "shutdown": "Shutdown"},
		"InitFailed":     {"invoke": "Invoking", "shutdown": "Shutdown"},
		"Idle":           {"invoke": "Invoking", "shutdown": "Shutdown"},
		"Invoking":       {"runtimeDone": "PostRuntime", "shutdown": "Shutdown"},
		"PostRuntime":    {"extensionsDone": "Idle", "shutdown": "Shutdown"},
		"Shutdown":       {"ended": "Ended"},
		"Ended":          {},
	}
	states := []envState{envInitExtensions{}, envInitRuntime{}, envInitReady{}, envInitFailed{}, envIdle{},
		envInvoking{}, envPostRuntime{}, envShutdown{}, envEnded{}}
	for _, s := range states {
		for name, f := range all {
			next, err := f(s)
			want, ok := legal[s.String()][name]
			switch {
			case ok && (err != nil || next.String() != want):
				t.Errorf("%s.%s = %v, %v; want %s", s, name, next, err, want)
			case !ok && !errors.Is(err, ErrNotAllowed):
				t.Errorf("%s.%s = %v, %v; want ErrNotAllowed", s, name, next, err)
			}
		}
	}
	// The lifecycle records an illegal transition and keeps its state.
	lc := &lifecycle{state: envIdle{}}
	if lc.to(envState.runtimeDone) || lc.state.String() != "Idle" || !errors.Is(lc.bad, ErrNotAllowed) {
		t.Errorf("illegal transition: state %s, bad %v", lc.state, lc.bad)
	}
}

// TestExtensionStates: RIE's agent states and their legal transitions.
func TestExtensionStates(t *testing.T) {
	type tr = func(extState) (extState, error)
	all := map[string]tr{"register": extState.register, "next": extState.next, "dispatch": extState.dispatch,
		"initError": extState.initError, "exitError": extState.exitError, "exit": extState.exit,
		"shutdownFailed": extState.shutdownFailed, "launchError": extState.launchError}
	legal := map[string]map[string]string{
		"Started":        {"register": "Registered", "exit": "Exited", "launchError": "LaunchError"},
		"Registered":     {"next": "Ready", "initError": "InitError", "exitError": "ExitError", "exit": "Exited", "shutdownFailed": "ShutdownFailed"},
		"Ready":          {"next": "Ready", "dispatch": "Running", "exitError": "ExitError", "exit": "Exited", "shutdownFailed": "ShutdownFailed"},
		"Running":        {"next": "Ready", "exitError": "ExitError", "exit": "Exited", "shutdownFailed": "ShutdownFailed"},
		"InitError":      {"exit": "InitError"},
		"ExitError":      {"exit": "ExitError"},
		"ShutdownFailed": {},
		"Exited":         {},
		"LaunchError":    {},
	}
	states := []extState{extStarted{}, extRegistered{}, extReady{}, extRunning{}, extInitError{}, extExitError{},
		extShutdownFailed{}, extExited{}, extLaunchError{}}
	for _, s := range states {
		for name, f := range all {
			next, err := f(s)
			want, ok := legal[s.String()][name]
			switch {
			case ok && (err != nil || next.String() != want):
				t.Errorf("%s.%s = %v, %v; want %s", s, name, next, err, want)
			case !ok && !errors.Is(err, ErrNotAllowed):
				t.Errorf("%s.%s = %v, %v; want ErrNotAllowed", s, name, next, err)
			}
		}
	}
}

func TestNormaliseErrorType(t *testing.T) {
	for in, want := range map[string]string{
		"":                        "Runtime.Unknown",
		"Unhandled":               "Runtime.Unknown",
		"Runtime.NoSuchHandler":   "Runtime.NoSuchHandler",
		"Function.MyError":        "Function.MyError",
		"Function.lower":          "Function.Unknown",
		"x Runtime.ConfigInvalid": "x Runtime.ConfigInvalid",
		"Runtime.":                "Runtime.Unknown",
	} {
		if got := normaliseErrorType(in); got != want {
			t.Errorf("normaliseErrorType(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestAppendJSONString(t *testing.T) {
	for in, want := range map[string]string{
		"plain":           `"plain"`,
		"a\"b\\c\n\t\x01": `"a\"b\\c\n\t\u0001"`,
		"caf\xc3\xa9":     `"café"`,
		"bad\xff":         `"bad\ufffd"`,
	} {
		if got := string(appendJSONString(nil, in)); got != want {
			t.Errorf("appendJSONString(%q) = %s, want %s", in, got, want)
		}
	}
}
