"""Banten's regions and kecamatan, and matching what citizens type for them."""

from __future__ import annotations

import pytest

from bot.domain.regions import (
    PROVINCE,
    REGION_CODES,
    Kecamatan,
    RegionCatalog,
    in_banten,
    load_regions,
)


@pytest.fixture(scope="module")
def catalog() -> RegionCatalog:
    return load_regions()


def names(found: list[Kecamatan]) -> list[str]:
    return [kec.name for kec in found]


def test_eight_regions_in_order(catalog: RegionCatalog) -> None:
    assert [region.code for region in catalog.regions] == list(REGION_CODES)
    assert len(catalog.regions) == 8
    assert catalog.region("kab-lebak").name == "Kabupaten Lebak"
    assert catalog.region("kota-tangerang-selatan").name == "Kota Tangerang Selatan"
    assert PROVINCE == "provinsi"
    with pytest.raises(KeyError):
        catalog.region(PROVINCE)


def test_155_kecamatan(catalog: RegionCatalog) -> None:
    counts = {region.code: len(region.kecamatan) for region in catalog.regions}
    assert counts == {
        "kab-lebak": 28,
        "kab-pandeglang": 35,
        "kab-serang": 29,
        "kab-tangerang": 29,
        "kota-cilegon": 8,
        "kota-serang": 6,
        "kota-tangerang": 13,
        "kota-tangerang-selatan": 7,
    }
    assert sum(counts.values()) == 155
    codes = [kec.code for region in catalog.regions for kec in region.kecamatan]
    assert len(set(codes)) == 155


def test_kecamatan_fit_in_callback_data(catalog: RegionCatalog) -> None:
    for region in catalog.regions:
        for kec in region.kecamatan:
            assert kec.code.isascii() and kec.code.isalnum()
            assert len(f"kec:{kec.code}".encode()) <= 64
            assert len(kec.name.encode()) <= 64
            assert kec.region == region.code
            assert catalog.kecamatan(kec.code) is kec


def test_kecamatan_sorted_by_name(catalog: RegionCatalog) -> None:
    for region in catalog.regions:
        listed = [kec.name for kec in region.kecamatan]
        assert listed == sorted(listed)


def test_kecamatan_by_code(catalog: RegionCatalog) -> None:
    assert catalog.kecamatan("3886") == Kecamatan(code="3886", name="Banjarsari", region="kab-lebak")
    assert catalog.kecamatan("3922").name == "Cikeudal (Cikedal)"
    with pytest.raises(KeyError):
        catalog.kecamatan("9999")


@pytest.mark.parametrize(
    ("typed", "code"),
    [
        ("kota serang", "kota-serang"),
        ("kab serang", "kab-serang"),
        ("kabupaten serang", "kab-serang"),
        ("Kab. Serang", "kab-serang"),
        ("kab.serang", "kab-serang"),
        ("kotaserang", "kota-serang"),
        ("tangsel", "kota-tangerang-selatan"),
        ("tangerang selatan", "kota-tangerang-selatan"),
        ("kota tangerang selatan", "kota-tangerang-selatan"),
        ("tanggerang selatan", "kota-tangerang-selatan"),
        ("lebak", "kab-lebak"),
        ("LEBAK ", "kab-lebak"),
        ("pandeglang", "kab-pandeglang"),
        ("pandeglan", "kab-pandeglang"),
        ("cilegon", "kota-cilegon"),
        ("kota cilegon", "kota-cilegon"),
        ("kab. tangerang", "kab-tangerang"),
        ("kabupaten tanggerang", "kab-tangerang"),
        ("kota tangerang", "kota-tangerang"),
        ("kota-tangerang-selatan", "kota-tangerang-selatan"),
    ],
)
def test_match_region(catalog: RegionCatalog, typed: str, code: str) -> None:
    region = catalog.match_region(typed)
    assert region is not None and region.code == code


@pytest.mark.parametrize("typed", ["serang", "tangerang", "", "banten", "jakarta", "bogor", "kab", "xyz"])
def test_match_region_refuses_ambiguous_or_unknown(catalog: RegionCatalog, typed: str) -> None:
    assert catalog.match_region(typed) is None


@pytest.mark.parametrize(
    ("region", "typed", "expected"),
    [
        ("kab-serang", "ciruas", "Ciruas"),
        ("kab-serang", "Kec. Ciruas", "Ciruas"),
        ("kab-serang", "kecamatan ciruas", "Ciruas"),
        ("kab-serang", "CIRUAS ", "Ciruas"),
        ("kab-serang", "ciruaz", "Ciruas"),
        ("kab-serang", "kramat watu", "Kramatwatu"),
        ("kab-lebak", "rangkas bitung", "Rangkasbitung"),
        ("kab-lebak", "Rangkasbitung.", "Rangkasbitung"),
        ("kab-lebak", "rangkas", "Rangkasbitung"),
        ("kab-pandeglang", "cikedal", "Cikeudal (Cikedal)"),
        ("kab-pandeglang", "cikeudal", "Cikeudal (Cikedal)"),
        ("kota-tangerang", "penang", "Pinang (Penang)"),
        ("kota-tangerang", "pinang", "Pinang (Penang)"),
        ("kota-tangerang-selatan", "pamulng", "Pamulang"),
        ("kota-tangerang-selatan", "ciputat", "Ciputat"),
        ("kab-tangerang", "sepatan", "Sepatan"),
    ],
)
def test_match_kecamatan_confident(catalog: RegionCatalog, region: str, typed: str, expected: str) -> None:
    assert names(catalog.match_kecamatan(region, typed)) == [expected]


def test_match_kecamatan_ambiguous_lists_best_first(catalog: RegionCatalog) -> None:
    found = names(catalog.match_kecamatan("kota-tangerang-selatan", "ciput"))
    assert found == ["Ciputat", "Ciputat Timur"]
    found = names(catalog.match_kecamatan("kab-pandeglang", "cike"))
    assert found == ["Cikeudal (Cikedal)", "Cikeusik"]
    assert len(catalog.match_kecamatan("kab-pandeglang", "ci")) <= 5


@pytest.mark.parametrize("typed", ["", "kec.", "tidak tahu", "dekat pasar", "xyz", "ciruas"])
def test_match_kecamatan_nothing_close(catalog: RegionCatalog, typed: str) -> None:
    # Ciruas is in Kabupaten Serang, not in Kota Tangerang.
    assert catalog.match_kecamatan("kota-tangerang", typed) == []


def test_match_kecamatan_stays_in_its_region(catalog: RegionCatalog) -> None:
    (curug,) = catalog.match_kecamatan("kota-serang", "curug")
    assert curug.region == "kota-serang"
    assert catalog.match_kecamatan("kab-tangerang", "curug")[0].region == "kab-tangerang"


def test_find_kecamatan_anywhere(catalog: RegionCatalog) -> None:
    (ciruas,) = catalog.find_kecamatan_anywhere("kec ciruaz")
    assert (ciruas.name, ciruas.region) == ("Ciruas", "kab-serang")
    (pinang,) = catalog.find_kecamatan_anywhere("penang")
    assert pinang.region == "kota-tangerang"
    cibeber = catalog.find_kecamatan_anywhere("cibeber")
    assert [(kec.name, kec.region) for kec in cibeber] == [
        ("Cibeber", "kab-lebak"),
        ("Cibeber", "kota-cilegon"),
    ]
    assert catalog.find_kecamatan_anywhere("tidak tahu") == []


@pytest.mark.parametrize(
    ("latitude", "longitude"),
    [(-6.12, 106.15), (-6.29, 106.71), (-6.78, 106.02)],  # Serang, Tangerang Selatan, Malingping
)
def test_in_banten(latitude: float, longitude: float) -> None:
    assert in_banten(latitude, longitude)


@pytest.mark.parametrize(
    ("latitude", "longitude"),
    [(-6.175, 106.827), (-6.91, 107.61), (-5.43, 105.26)],  # Monas Jakarta, Bandung, Lampung
)
def test_not_in_banten(latitude: float, longitude: float) -> None:
    assert not in_banten(latitude, longitude)
