/// A proxy that reports every caller under its own identity makes a whole user base one
/// account, and the detector cannot tell callers apart. LiteLLM's proxy does this when callers
/// all use its master key without an auth plugin: each record then carries the user
/// `default_user_id`.
public enum ProxyIdentity {
    public static let liteLLMMasterKeyUser = "default_user_id"
    public static let code = "litellm_master_key"

    /// A warning for the analyst when every record so far carries the master key's identity.
    public static func warning(for snapshot: Snapshot) -> String? {
        guard snapshot.exchanges > 0, snapshot.onlyAccount == liteLLMMasterKeyUser else { return nil }
        return "every record carries LiteLLM's master-key identity (\(liteLLMMasterKeyUser)): all callers count as one account; give each caller its own key and user"
    }
}
