//! IP subnets written as CIDR, for Network validation.

use std::net::IpAddr;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cidr {
    pub address: IpAddr,
    pub prefix: u8,
}

impl Cidr {
    pub fn parse(text: &str) -> Result<Cidr, String> {
        let (address, prefix) = text.split_once('/').ok_or_else(|| {
            format!("`{text}` is not a CIDR: it needs a prefix length, like `10.0.0.0/24`")
        })?;
        let address: IpAddr = address
            .parse()
            .map_err(|_| format!("`{address}` is not an IPv4 or IPv6 address"))?;
        let max = if address.is_ipv4() { 32 } else { 128 };
        let prefix: u8 = prefix
            .parse()
            .ok()
            .filter(|p| {
                *p <= max && !prefix.starts_with('+') && (prefix == "0" || !prefix.starts_with('0'))
            })
            .ok_or_else(|| format!("prefix length `{prefix}` must be a number from 0 to {max}"))?;
        let cidr = Cidr { address, prefix };
        if cidr.network() != address {
            return Err(format!(
                "`{text}` has host bits set; the network address is `{}/{prefix}`",
                cidr.network()
            ));
        }
        Ok(cidr)
    }

    fn bits(address: IpAddr) -> (u128, u32) {
        match address {
            IpAddr::V4(v4) => (u32::from(v4) as u128, 32),
            IpAddr::V6(v6) => (u128::from(v6), 128),
        }
    }

    /// The network mask in the low `width` bits.
    fn mask(&self) -> u128 {
        let (_, width) = Cidr::bits(self.address);
        if self.prefix == 0 {
            return 0;
        }
        (u128::MAX << (128 - self.prefix as u32)) >> (128 - width)
    }

    pub fn network(&self) -> IpAddr {
        let (value, _) = Cidr::bits(self.address);
        let masked = value & self.mask();
        match self.address {
            IpAddr::V4(_) => IpAddr::V4((masked as u32).into()),
            IpAddr::V6(_) => IpAddr::V6(masked.into()),
        }
    }

    pub fn contains(&self, address: IpAddr) -> bool {
        if address.is_ipv4() != self.address.is_ipv4() {
            return false;
        }
        let (value, _) = Cidr::bits(address);
        let (network, _) = Cidr::bits(self.network());
        value & self.mask() == network
    }

    /// The family (true for IPv6), network bits and prefix: equal keys mean the same subnet.
    pub fn key(&self) -> (bool, u128, u8) {
        let (network, _) = Cidr::bits(self.network());
        (self.address.is_ipv6(), network, self.prefix)
    }

    /// The keys of this subnet and of every subnet that contains it (prefixes 0 to its own).
    pub fn supernet_keys(&self) -> impl Iterator<Item = (bool, u128, u8)> + '_ {
        let (network, width) = Cidr::bits(self.network());
        let v6 = self.address.is_ipv6();
        (0..=self.prefix).map(move |prefix| {
            let mask = if prefix == 0 {
                0
            } else {
                (u128::MAX << (128 - prefix as u32)) >> (128 - width)
            };
            (v6, network & mask, prefix)
        })
    }

    /// The first and last address, as numbers, with the family.
    pub fn range(&self) -> (bool, u128, u128) {
        let (network, width) = Cidr::bits(self.network());
        let host_bits = width - self.prefix as u32;
        let last = if host_bits == 128 {
            u128::MAX
        } else {
            network | ((1u128 << host_bits) - 1)
        };
        (self.address.is_ipv6(), network, last)
    }

    /// Two subnets overlap when one contains the other's network address.
    pub fn overlaps(&self, other: &Cidr) -> bool {
        self.contains(other.network()) || other.contains(self.network())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_checks_containment() {
        let c = Cidr::parse("10.10.0.0/24").unwrap();
        assert!(c.contains("10.10.0.1".parse().unwrap()));
        assert!(!c.contains("10.10.1.1".parse().unwrap()));
        assert!(!c.contains("::1".parse().unwrap()));
        let v6 = Cidr::parse("fd00:10::/64").unwrap();
        assert!(v6.contains("fd00:10::1".parse().unwrap()));
        assert!(
            Cidr::parse("0.0.0.0/0")
                .unwrap()
                .contains("8.8.8.8".parse().unwrap())
        );
        assert!(
            Cidr::parse("::/0")
                .unwrap()
                .contains("::1".parse().unwrap())
        );
    }

    #[test]
    fn rejects_malformed() {
        assert!(Cidr::parse("10.10.0.0").is_err());
        assert!(Cidr::parse("10.10.0.0/33").is_err());
        assert!(Cidr::parse("10.10.0.0/024").is_err());
        assert!(Cidr::parse("10.10.0.300/24").is_err());
        assert!(
            Cidr::parse("10.10.0.1/24")
                .unwrap_err()
                .contains("10.10.0.0/24")
        );
    }

    #[test]
    fn overlap() {
        let a = Cidr::parse("10.0.0.0/16").unwrap();
        let b = Cidr::parse("10.0.5.0/24").unwrap();
        let c = Cidr::parse("10.1.0.0/16").unwrap();
        assert!(a.overlaps(&b) && b.overlaps(&a));
        assert!(!a.overlaps(&c));
    }

    #[test]
    fn supernets_and_ranges() {
        let b = Cidr::parse("10.0.5.0/24").unwrap();
        let keys: Vec<_> = b.supernet_keys().collect();
        assert_eq!(keys.len(), 25);
        assert!(keys.contains(&Cidr::parse("10.0.0.0/16").unwrap().key()));
        assert!(keys.contains(&Cidr::parse("0.0.0.0/0").unwrap().key()));
        assert_eq!(keys.last(), Some(&b.key()));
        assert_eq!(b.range(), (false, 0x0A00_0500, 0x0A00_05FF));
        assert_eq!(Cidr::parse("::/0").unwrap().range(), (true, 0, u128::MAX));
    }
}
