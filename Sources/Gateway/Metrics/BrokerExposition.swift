import BrokerProtocol

/// The broker's counters in Prometheus text. They are counted in the broker process and fetched at each scrape, so
/// they are written here rather than kept in the gateway's registry; they start again from zero when the broker
/// restarts, which Prometheus reads as a counter reset.
enum BrokerExposition {
    static func render(_ statistics: BrokerStatistics?) -> [UInt8] {
        var out = "# TYPE sealgate_broker_up gauge\nsealgate_broker_up \(statistics == nil ? 0 : 1)\n"
        guard let statistics else { return Array(out.utf8) }
        let upstreamSeries: [(String, String, (BrokerStatistics.Upstream) -> Int)] = [
            ("sealgate_upstream_starts_total", "counter", \.starts),
            ("sealgate_upstream_restarts_total", "counter", \.restarts),
            ("sealgate_upstream_failures_total", "counter", \.failures),
            ("sealgate_upstream_refusals_total", "counter", \.refusals),
            ("sealgate_upstream_oauth_refreshes_total", "counter", \.oauthRefreshes),
            ("sealgate_upstream_oauth_refresh_failures_total", "counter", \.oauthRefreshFailures),
            ("sealgate_upstream_needs_login", "gauge", \.needsLogin),
        ]
        for (name, type, value) in upstreamSeries {
            out += "# TYPE \(name) \(type)\n"
            for entry in statistics.upstreams {
                out += "\(name){workspace=\"\(escape(entry.workspace))\",server=\"\(escape(entry.server))\"} "
                out += "\(value(entry))\n"
            }
        }
        let leaseSeries: [(String, String, (BrokerStatistics.Leases) -> Int)] = [
            ("sealgate_leases_active", "gauge", \.active), ("sealgate_leases_granted_total", "counter", \.granted),
            ("sealgate_leases_expired_total", "counter", \.expired),
            ("sealgate_leases_revoked_total", "counter", \.revoked),
        ]
        for (name, type, value) in leaseSeries {
            out += "# TYPE \(name) \(type)\n"
            for entry in statistics.leases {
                out += "\(name){workspace=\"\(escape(entry.workspace))\"} \(value(entry))\n"
            }
        }
        out += "# TYPE sealgate_broker_dropped_unasked_total counter\n"
        out += "sealgate_broker_dropped_unasked_total \(statistics.droppedUnasked)\n"
        return Array(out.utf8)
    }

    /// Label values escape backslash, double quote and newline (the text format's rules).
    static func escape(_ value: String) -> String {
        var out = ""
        for character in value {
            switch character {
            case "\\": out += "\\\\"
            case "\"": out += "\\\""
            case "\n": out += "\\n"
            default: out.append(character)
            }
        }
        return out
    }
}
