// The rules of the conformance kit: their order, how failures quote them, their test names.
#include "claude_jobs/testing/conformance.h"

namespace claude_jobs::testing {

namespace {

struct RuleText {
    Rule rule;
    const char* description;
    const char* testName;
};

constexpr RuleText kRules[] = {
    {Rule::ModuleExports, "the module exports its entry points and matching ABI info",
     "ModuleExports"},
    {Rule::ModuleHidesSymbols, "the module exports nothing but its entry points",
     "ModuleHidesSymbols"},
    {Rule::Info, "info() describes the plugin", "Info"},
    {Rule::ConfigureAccepts, "configure() accepts its settings", "ConfigureAccepts"},
    {Rule::ConfigureRefusesUnknownKey, "configure() refuses an unknown key, naming it",
     "ConfigureRefusesUnknownKey"},
    {Rule::CapabilitiesStable, "capabilities() are constant and optional methods follow them",
     "CapabilitiesStable"},
    {Rule::Health, "health() passes once configured", "Health"},
    {Rule::StartReturnsHandle, "start() returns promptly with the job's handle",
     "StartReturnsHandle"},
    {Rule::StatusRunning, "status() says Running while the job runs", "StatusRunning"},
    {Rule::ExitRecord, "the supervisor's exit record carries the job's exit code", "ExitRecord"},
    {Rule::StatusAfterExit, "status() leaves Running once the job has ended", "StatusAfterExit"},
    {Rule::JobEnvironment, "the job's environment is JobSpec::env", "JobEnvironment"},
    {Rule::JobWorkFolder, "the job runs in JobSpec::workFolder", "JobWorkFolder"},
    {Rule::PromptOnStdin, "the job reads prompt.txt on stdin", "PromptOnStdin"},
    {Rule::StopEndsJob, "stop() returns at once and the job ends as cancelled", "StopEndsJob"},
    {Rule::StopIsIdempotent, "stop() is idempotent", "StopIsIdempotent"},
    {Rule::StopAfterExitIsNoOp, "stop after exit is a no-op", "StopAfterExitIsNoOp"},
    {Rule::StopKillsAfterGrace, "stop() kills a job that ignores SIGTERM after graceSec",
     "StopKillsAfterGrace"},
    {Rule::WholeGroupKill, "stop() ends the job's whole process group", "WholeGroupKill"},
    {Rule::EscapeesEndOnStop,
     "stop() also ends the job's processes that left its process group (setsid, a double fork)",
     "EscapeesEndOnStop"},
    {Rule::EscapeesEndOnExit,
     "the job's processes that left its process group end when the job exits", "EscapeesEndOnExit"},
    {Rule::UnknownIdNotFound, "an unknown job id is not found", "UnknownIdNotFound"},
    {Rule::RecoverAfterRestart, "recover() after a simulated restart re-attaches to the job",
     "RecoverAfterRestart"},
    {Rule::RecoverEndedJob, "recover() of an ended job works and shows it ended",
     "RecoverEndedJob"},
    {Rule::RecoverRefusesUnreadableHandle, "recover() refuses a handle it cannot read",
     "RecoverRefusesUnreadableHandle"},
    {Rule::DestroyIdempotent, "destroy() is idempotent", "DestroyIdempotent"},
    {Rule::NoLeakedDescriptors, "no descriptor leaks into the job", "NoLeakedDescriptors"},
    {Rule::OwnSession, "the job runs in a session of its own", "OwnSession"},
    {Rule::LeadsProcessGroup, "the job leads its own process group", "LeadsProcessGroup"},
    {Rule::StatusDoesNotBlock, "status() does not block", "StatusDoesNotBlock"},
    {Rule::ConcurrentCalls, "calls from several threads at once are safe", "ConcurrentCalls"},
};

const RuleText& text_of(Rule rule) {
    for (const auto& text : kRules)
        if (text.rule == rule) return text;
    return kRules[0];
}

}  // namespace

const std::vector<Rule>& all_rules() {
    static const std::vector<Rule> rules = [] {
        std::vector<Rule> list;
        for (const auto& text : kRules) list.push_back(text.rule);
        return list;
    }();
    return rules;
}

const char* rule_description(Rule rule) {
    return text_of(rule).description;
}
const char* rule_test_name(Rule rule) {
    return text_of(rule).testName;
}

}  // namespace claude_jobs::testing
