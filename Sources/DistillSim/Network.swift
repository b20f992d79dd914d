/// An address as seen by the edge: IPv4 in the low 32 bits, or a full IPv6.
struct IPAddr: Equatable, Hashable, Sendable {
    var v6: Bool
    var hi: UInt64
    var lo: UInt64

    static func v4(_ a: Int, _ b: Int, _ c: Int, _ d: Int) -> IPAddr {
        IPAddr(v6: false, hi: 0, lo: UInt64(a & 255) << 24 | UInt64(b & 255) << 16 | UInt64(c & 255) << 8 | UInt64(d & 255))
    }

    func write(_ w: ByteWriter) {
        if !v6 {
            w.int(Int(lo >> 24 & 255)); w.byte(46); w.int(Int(lo >> 16 & 255)); w.byte(46)
            w.int(Int(lo >> 8 & 255)); w.byte(46); w.int(Int(lo & 255))
        } else {
            for g in 0..<8 {
                if g > 0 { w.byte(58) }
                let word = g < 4 ? hi >> UInt64(48 - g * 16) : lo >> UInt64(48 - (g - 4) * 16)
                w.hexNoPad(word & 0xFFFF)
            }
        }
    }

    var text: String {
        let w = ByteWriter(capacity: 64)
        write(w)
        return w.string
    }
}

/// Where an address comes from: ASN and country travel with it.
struct Origin: Sendable {
    var ip: IPAddr
    var asn: Int
    var country: UInt16  // two ASCII letters

    static func cc(_ s: StaticString) -> UInt16 {
        let p = s.utf8Start
        return UInt16(p[0]) << 8 | UInt16(p[1])
    }
}

struct ISP: Sendable {
    let asn: Int
    let country: UInt16
    let tzMinutes: [Int]
    let v4: [(Int, Int)]       // /16 prefixes
    let v6: UInt64?           // top 32 bits of a /32
    let weight: Double
}

struct CloudRegion: Sendable {
    let provider: String
    let asn: Int
    let country: UInt16
    let v4: [(Int, Int)]
}

enum Net {
    static let isps: [ISP] = [
        ISP(asn: 7922, country: Origin.cc("US"), tzMinutes: [-300, -360, -480], v4: [(73, 0), (24, 16), (98, 200), (67, 180), (76, 100)], v6: 0x2601_0000, weight: 9),
        ISP(asn: 20115, country: Origin.cc("US"), tzMinutes: [-300, -360, -420], v4: [(71, 80), (97, 90), (24, 240), (66, 190)], v6: 0x2603_6000, weight: 6),
        ISP(asn: 7018, country: Origin.cc("US"), tzMinutes: [-300, -360, -480], v4: [(99, 100), (107, 200), (104, 180), (76, 240)], v6: 0x2600_1700, weight: 6),
        ISP(asn: 701, country: Origin.cc("US"), tzMinutes: [-300, -240], v4: [(108, 20), (71, 170), (72, 80), (96, 250)], v6: 0x2600_4040, weight: 4),
        ISP(asn: 22773, country: Origin.cc("US"), tzMinutes: [-420, -480, -300], v4: [(68, 100), (70, 170), (98, 160)], v6: 0x2600_8800, weight: 3),
        ISP(asn: 21928, country: Origin.cc("US"), tzMinutes: [-300, -480], v4: [(172, 58), (172, 56), (172, 32)], v6: 0x2607_fb90, weight: 3),
        ISP(asn: 2856, country: Origin.cc("GB"), tzMinutes: [60], v4: [(86, 128), (81, 150), (109, 150)], v6: 0x2a00_2300, weight: 3),
        ISP(asn: 5089, country: Origin.cc("GB"), tzMinutes: [60], v4: [(82, 30), (86, 20), (92, 234)], v6: nil, weight: 2),
        ISP(asn: 3320, country: Origin.cc("DE"), tzMinutes: [120], v4: [(79, 200), (91, 40), (84, 150), (93, 200)], v6: 0x2003_00e0, weight: 3),
        ISP(asn: 3209, country: Origin.cc("DE"), tzMinutes: [120], v4: [(88, 64), (94, 134)], v6: 0x2a02_0810, weight: 1.5),
        ISP(asn: 3215, country: Origin.cc("FR"), tzMinutes: [120], v4: [(90, 12), (86, 246), (92, 184)], v6: 0x2a01_cb00, weight: 2),
        ISP(asn: 12322, country: Origin.cc("FR"), tzMinutes: [120], v4: [(82, 64), (88, 120), (78, 194)], v6: 0x2a01_0e0a, weight: 1.5),
        ISP(asn: 3352, country: Origin.cc("ES"), tzMinutes: [120], v4: [(83, 40), (88, 6), (79, 144)], v6: nil, weight: 1.5),
        ISP(asn: 1136, country: Origin.cc("NL"), tzMinutes: [120], v4: [(77, 160), (145, 130)], v6: 0x2a02_a440, weight: 1),
        ISP(asn: 812, country: Origin.cc("CA"), tzMinutes: [-240, -420], v4: [(99, 230), (174, 112)], v6: 0x2607_fea8, weight: 1.5),
        ISP(asn: 577, country: Origin.cc("CA"), tzMinutes: [-240, -300], v4: [(70, 50), (184, 144)], v6: nil, weight: 1),
        ISP(asn: 1221, country: Origin.cc("AU"), tzMinutes: [600], v4: [(101, 160), (110, 140), (58, 160)], v6: 0x2001_8003, weight: 1.5),
        ISP(asn: 4713, country: Origin.cc("JP"), tzMinutes: [540], v4: [(153, 220), (180, 0), (114, 160)], v6: 0x240b_0010, weight: 1.5),
        ISP(asn: 2516, country: Origin.cc("JP"), tzMinutes: [540], v4: [(106, 128), (111, 86)], v6: nil, weight: 1),
        ISP(asn: 55836, country: Origin.cc("IN"), tzMinutes: [330], v4: [(49, 36), (157, 32), (152, 58)], v6: 0x2409_4050, weight: 4),
        ISP(asn: 24560, country: Origin.cc("IN"), tzMinutes: [330], v4: [(122, 161), (106, 200), (182, 64)], v6: 0x2401_4900, weight: 2.5),
        ISP(asn: 27699, country: Origin.cc("BR"), tzMinutes: [-180], v4: [(177, 96), (187, 10), (189, 100)], v6: 0x2804_0d00, weight: 2),
        ISP(asn: 28573, country: Origin.cc("BR"), tzMinutes: [-180], v4: [(177, 140), (189, 30), (179, 220)], v6: nil, weight: 1.5),
        ISP(asn: 8151, country: Origin.cc("MX"), tzMinutes: [-360], v4: [(187, 190), (189, 150), (201, 140)], v6: nil, weight: 1.5),
        ISP(asn: 9506, country: Origin.cc("SG"), tzMinutes: [480], v4: [(116, 86), (121, 6)], v6: nil, weight: 0.7),
        ISP(asn: 4766, country: Origin.cc("KR"), tzMinutes: [540], v4: [(121, 140), (175, 192), (211, 36)], v6: nil, weight: 1),
        ISP(asn: 3462, country: Origin.cc("TW"), tzMinutes: [480], v4: [(36, 224), (114, 36), (118, 160)], v6: nil, weight: 0.8),
        ISP(asn: 3303, country: Origin.cc("CH"), tzMinutes: [120], v4: [(85, 0), (178, 197)], v6: nil, weight: 0.5),
        ISP(asn: 3301, country: Origin.cc("SE"), tzMinutes: [120], v4: [(78, 64), (81, 224)], v6: nil, weight: 0.5),
        ISP(asn: 5617, country: Origin.cc("PL"), tzMinutes: [120], v4: [(83, 20), (89, 64)], v6: nil, weight: 0.8),
        ISP(asn: 9121, country: Origin.cc("TR"), tzMinutes: [180], v4: [(78, 160), (88, 230)], v6: nil, weight: 0.8),
        ISP(asn: 45899, country: Origin.cc("VN"), tzMinutes: [420], v4: [(113, 160), (14, 160)], v6: nil, weight: 0.8),
        ISP(asn: 9299, country: Origin.cc("PH"), tzMinutes: [480], v4: [(112, 198), (124, 106)], v6: nil, weight: 0.8),
        ISP(asn: 36947, country: Origin.cc("DZ"), tzMinutes: [60], v4: [(41, 104), (105, 100)], v6: nil, weight: 0.3),
        ISP(asn: 37457, country: Origin.cc("ZA"), tzMinutes: [120], v4: [(41, 13), (102, 132)], v6: nil, weight: 0.5),
        ISP(asn: 29247, country: Origin.cc("NG"), tzMinutes: [60], v4: [(102, 89), (105, 112)], v6: nil, weight: 0.5),
        ISP(asn: 8452, country: Origin.cc("EG"), tzMinutes: [180], v4: [(41, 44), (156, 194)], v6: nil, weight: 0.5),
        ISP(asn: 7303, country: Origin.cc("AR"), tzMinutes: [-180], v4: [(181, 1), (190, 16)], v6: nil, weight: 0.6),
        ISP(asn: 12389, country: Origin.cc("RU"), tzMinutes: [180], v4: [(95, 24), (178, 34)], v6: nil, weight: 0.6),
        ISP(asn: 4134, country: Origin.cc("CN"), tzMinutes: [480], v4: [(115, 192), (183, 14)], v6: nil, weight: 0.3),
        ISP(asn: 17676, country: Origin.cc("JP"), tzMinutes: [540], v4: [(126, 0), (219, 100)], v6: nil, weight: 0.8),
        ISP(asn: 6830, country: Origin.cc("AT"), tzMinutes: [120], v4: [(84, 112), (62, 178)], v6: nil, weight: 0.4),
        ISP(asn: 5432, country: Origin.cc("BE"), tzMinutes: [120], v4: [(81, 240), (91, 176)], v6: nil, weight: 0.4),
        ISP(asn: 3269, country: Origin.cc("IT"), tzMinutes: [120], v4: [(79, 12), (93, 44), (151, 38)], v6: nil, weight: 1.2),
        ISP(asn: 9829, country: Origin.cc("IN"), tzMinutes: [330], v4: [(117, 200), (59, 88)], v6: nil, weight: 1),
        ISP(asn: 6057, country: Origin.cc("UY"), tzMinutes: [-180], v4: [(167, 56), (179, 24)], v6: nil, weight: 0.2),
    ]
    static let ispWeights: [Double] = isps.map { $0.weight }

    static let clouds: [CloudRegion] = [
        CloudRegion(provider: "aws-us-east-1", asn: 16509, country: Origin.cc("US"), v4: [(3, 80), (18, 204), (34, 224), (44, 192), (52, 23), (54, 164)]),
        CloudRegion(provider: "aws-us-west-2", asn: 16509, country: Origin.cc("US"), v4: [(35, 160), (44, 230), (52, 12), (54, 188)]),
        CloudRegion(provider: "aws-eu-west-1", asn: 16509, country: Origin.cc("IE"), v4: [(34, 240), (52, 48), (54, 72)]),
        CloudRegion(provider: "aws-ap-northeast-1", asn: 16509, country: Origin.cc("JP"), v4: [(13, 112), (18, 176), (54, 250)]),
        CloudRegion(provider: "gcp-us-central1", asn: 15169, country: Origin.cc("US"), v4: [(34, 66), (35, 184), (104, 154)]),
        CloudRegion(provider: "gcp-europe-west4", asn: 15169, country: Origin.cc("NL"), v4: [(34, 90), (35, 204)]),
        CloudRegion(provider: "azure-eastus", asn: 8075, country: Origin.cc("US"), v4: [(20, 185), (40, 121), (52, 186)]),
        CloudRegion(provider: "azure-westeurope", asn: 8075, country: Origin.cc("NL"), v4: [(20, 54), (40, 114), (52, 174)]),
        CloudRegion(provider: "digitalocean-nyc", asn: 14061, country: Origin.cc("US"), v4: [(159, 89), (167, 99), (64, 225)]),
        CloudRegion(provider: "digitalocean-fra", asn: 14061, country: Origin.cc("DE"), v4: [(134, 209), (164, 90), (46, 101)]),
        CloudRegion(provider: "hetzner-fsn", asn: 24940, country: Origin.cc("DE"), v4: [(95, 216), (116, 202), (88, 99), (49, 12)]),
        CloudRegion(provider: "hetzner-hel", asn: 24940, country: Origin.cc("FI"), v4: [(65, 21), (95, 217)]),
        CloudRegion(provider: "ovh-gra", asn: 16276, country: Origin.cc("FR"), v4: [(51, 77), (54, 36), (137, 74)]),
        CloudRegion(provider: "vultr-sgp", asn: 20473, country: Origin.cc("SG"), v4: [(45, 32), (139, 180), (207, 148)]),
        CloudRegion(provider: "linode-fra", asn: 63949, country: Origin.cc("DE"), v4: [(172, 104), (45, 79)]),
        CloudRegion(provider: "alibaba-sg", asn: 45102, country: Origin.cc("SG"), v4: [(47, 74), (8, 219), (47, 241)]),
        CloudRegion(provider: "tencent-hk", asn: 132203, country: Origin.cc("HK"), v4: [(43, 128), (119, 28), (43, 154)]),
        CloudRegion(provider: "m247-bucharest", asn: 9009, country: Origin.cc("RO"), v4: [(37, 120), (89, 45), (185, 156)]),
        CloudRegion(provider: "oracle-ashburn", asn: 31898, country: Origin.cc("US"), v4: [(129, 213), (150, 136)]),
    ]

    static func cloud(_ name: String) -> CloudRegion {
        clouds.first { $0.provider == name }!
    }

    /// A /24 inside a cloud region, as (a, b, c).
    static func slash24(_ r: CloudRegion, _ rng: inout Rng) -> (Int, Int, Int) {
        let p = r.v4[rng.below(r.v4.count)]
        return (p.0, p.1, rng.int(0, 255))
    }

    static func residential(_ isp: ISP, _ rng: inout Rng, v6: Bool = false) -> Origin {
        if v6, let pre = isp.v6 {
            let hi = (pre | UInt64(rng.int(0, 0x3FF))) << 32 | UInt64(rng.int(0, 0xFFFF)) << 16 | UInt64(rng.int(0, 0xFFFF))
            return Origin(ip: IPAddr(v6: true, hi: hi, lo: rng.next() | 1), asn: isp.asn, country: isp.country)
        }
        let p = isp.v4[rng.below(isp.v4.count)]
        return Origin(ip: .v4(p.0, p.1, rng.int(0, 255), rng.int(1, 254)), asn: isp.asn, country: isp.country)
    }

    static func randomISP(_ rng: inout Rng) -> ISP { isps[rng.weighted(ispWeights)] }

    static func isps(in country: UInt16) -> [ISP] { isps.filter { $0.country == country } }

    /// University networks: (asn, country, tz minutes, /16).
    static let campuses: [(asn: Int, country: UInt16, tz: Int, a: Int, b: Int)] = [
        (25, Origin.cc("US"), -420, 128, 32), (3, Origin.cc("US"), -240, 18, 29), (32, Origin.cc("US"), -420, 171, 64),
        (239, Origin.cc("CA"), -240, 142, 150), (559, Origin.cc("CH"), 120, 129, 132), (786, Origin.cc("GB"), 60, 131, 111),
        (7575, Origin.cc("AU"), 600, 129, 94), (2907, Origin.cc("JP"), 540, 133, 11),
    ]

    /// Business ISPs for office addresses: (asn, country, tz, /16).
    static let offices: [(asn: Int, country: UInt16, tz: Int, a: Int, b: Int)] = [
        (7922, Origin.cc("US"), -480, 50, 204), (3356, Origin.cc("US"), -300, 4, 14), (174, Origin.cc("US"), -300, 38, 122),
        (6461, Origin.cc("US"), -420, 64, 125), (701, Origin.cc("US"), -240, 65, 196), (3320, Origin.cc("DE"), 120, 217, 6),
        (2856, Origin.cc("GB"), 60, 81, 134), (12322, Origin.cc("FR"), 120, 212, 27),
    ]
}
