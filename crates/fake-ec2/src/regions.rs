//! DescribeRegions: the enabled regions, and with `AllRegions=true` also the opt-in
//! regions nobody opted in to, so a sync can plan and report what it skips.

use std::fmt::Write;

use super::catalog::World;
use super::request::Params;
use super::xml::{DECLARATION, EC2_NAMESPACE, element};

pub(crate) fn describe_regions(world: &World, params: &Params, request_id: &str) -> String {
    let all = params
        .get("AllRegions")
        .is_some_and(|v| v.eq_ignore_ascii_case("true"));
    let names = params.list("RegionName");
    let mut out = String::with_capacity(256 + world.regions.len() * 160);
    out.push_str(DECLARATION);
    let _ = write!(out, r#"<DescribeRegionsResponse xmlns="{EC2_NAMESPACE}">"#);
    element(&mut out, "requestId", request_id);
    out.push_str("<regionInfo>");
    for region in &world.regions {
        if !(region.enabled || all) || !(names.is_empty() || names.contains(&region.name)) {
            continue;
        }
        out.push_str("<item>");
        element(&mut out, "regionName", &region.name);
        element(
            &mut out,
            "regionEndpoint",
            &format!("ec2.{}.amazonaws.com", region.name),
        );
        let status = if region.enabled {
            "opt-in-not-required"
        } else {
            "not-opted-in"
        };
        element(&mut out, "optInStatus", status);
        out.push_str("</item>");
    }
    out.push_str("</regionInfo></DescribeRegionsResponse>");
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::FakeConfig;

    #[test]
    fn lists_opt_in_regions_only_when_asked() {
        let world = World::new(&FakeConfig::demo());
        let mut params = Params::default();
        let enabled = describe_regions(&world, &params, "r");
        assert!(enabled.contains("<regionName>ap-southeast-2</regionName>"));
        assert!(!enabled.contains("me-central-1"));
        params.extend_from_form(b"AllRegions=true");
        let all = describe_regions(&world, &params, "r");
        assert!(all.contains(
            "<regionName>me-central-1</regionName><regionEndpoint>ec2.me-central-1.amazonaws.com</regionEndpoint><optInStatus>not-opted-in</optInStatus>"
        ));
    }
}
