import Foundation

/// LiteLLM's `StandardLoggingPayload` (what its `generic_api` callback posts, and what custom
/// callbacks find under `kwargs["standard_logging_object"]`) renamed onto the canonical record.
/// Field names as in litellm/types/utils.py (`StandardLoggingPayload`, `StandardLoggingMetadata`,
/// `StandardLoggingUserAPIKeyMetadata`, `StandardLoggingPayloadErrorInformation`).
enum LiteLLMMapping {
    static func record(_ p: [String: Any]) -> [String: Any] {
        let meta = p["metadata"] as? [String: Any] ?? [:]
        var r: [String: Any] = [:]
        func set(_ key: String, _ value: Any?) { if let value { r[key] = value } }

        // startTime is epoch seconds (a float); the canonical decoder tells s/ms/ns apart.
        set("ts", JSONValue.raw(p["startTime"]))
        set("account_id", JSONValue.raw(meta["user_api_key_user_id"]))
        set("api_key_id", JSONValue.raw(meta["user_api_key_hash"]))
        set("request_id", JSONValue.raw(p["id"]))
        set("org_id", JSONValue.raw(meta["user_api_key_org_id"]))
        set("end_user_id", JSONValue.raw(p["end_user"]) ?? JSONValue.raw(meta["user_api_key_end_user_id"]))
        set("session_id", JSONValue.raw(p["session_id"]))
        set("client_ip", JSONValue.raw(p["requester_ip_address"]) ?? JSONValue.raw(meta["requester_ip_address"]))
        set("user_agent", JSONValue.raw(p["user_agent"]) ?? JSONValue.raw(meta["user_agent"]))
        // The name the client asked for (the proxy's model group), not the backend it was routed to.
        set("model", JSONValue.raw(p["model_group"]) ?? JSONValue.raw(meta["model_group"]) ?? JSONValue.raw(p["model"]))
        set("input_tokens", JSONValue.count(p["prompt_tokens"]))
        set("output_tokens", JSONValue.count(p["completion_tokens"]))
        if let start = JSONValue.number(p["startTime"]), let end = JSONValue.number(p["endTime"]), end >= start {
            let ms = (end - start) * 1000
            if ms.isFinite { r["latency_ms"] = ms }
        }
        if let status = p["status"] as? String { r["status"] = status == "success" ? "success" : "failure" }
        if let info = p["error_information"] as? [String: Any], let code = JSONValue.integer(info["error_code"]),
           (100...599).contains(code) {
            r["http_status"] = NSNumber(value: code)
        }
        set("prompt_text", JSONValue.promptText(p["messages"]))
        // Deployments that fingerprint the payment method pass it as request metadata.
        if let requester = meta["requester_metadata"] as? [String: Any] {
            set("payment_fp", JSONValue.raw(requester["payment_fp"]))
        }
        return r
    }
}
