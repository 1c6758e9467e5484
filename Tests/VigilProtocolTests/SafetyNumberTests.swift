import Testing
import VigilCrypto
@testable import VigilProtocol

/// The safety number as its documentation defines it, written out independently.
private func documentedSafetyNumber(_ a: PublicIdentity, _ b: PublicIdentity) -> [String] {
    let keysA = a.signingKey.rawRepresentation + a.encryptionKey.rawRepresentation
    let keysB = b.signingKey.rawRepresentation + b.encryptionKey.rawRepresentation
    let sorted = [keysA, keysB].sorted { $0.lexicographicallyPrecedes($1) }
    let digest = BLAKE2b.hash(Array("Vigil safety number v1".utf8) + [0] + sorted[0] + sorted[1], outputByteCount: 32)
    return (0..<6).map { group in
        let chunk = digest[(group * 5)..<(group * 5 + 5)].reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
        let digits = String(chunk % 100_000)
        return String(repeating: "0", count: 5 - digits.count) + digits
    }
}

private func isSixGroupsOfFiveDigits(_ text: String) -> Bool {
    let groups = text.split(separator: " ", omittingEmptySubsequences: false)
    return groups.count == 6 && groups.allSatisfy { $0.count == 5 && $0.allSatisfy { ("0"..."9").contains($0) } }
}

@Suite("Safety numbers") struct SafetyNumberTests {
    private let alice = Fixture.alice.publicIdentity
    private let bob = Fixture.bob.publicIdentity
    private let carol = Fixture.carol.publicIdentity

    @Test("Both sides compute the same number")
    func bothSidesComputeTheSameNumber() {
        #expect(SafetyNumber(alice, bob) == SafetyNumber(bob, alice))
        #expect(SafetyNumber(alice, bob).description == SafetyNumber(bob, alice).description)
    }

    @Test("The number is as documented")
    func theNumberIsAsDocumented() {
        #expect(SafetyNumber(alice, bob).groups == documentedSafetyNumber(alice, bob))
        #expect(SafetyNumber(carol, alice).groups == documentedSafetyNumber(alice, carol))
    }

    @Test("Different pairs have different numbers")
    func differentPairsHaveDifferentNumbers() {
        let numbers = [SafetyNumber(alice, bob), SafetyNumber(alice, carol), SafetyNumber(bob, carol), SafetyNumber(alice, alice)]
        #expect(Set(numbers).count == numbers.count)
    }

    @Test("Replacing either key of either side changes the number")
    func replacingEitherKeyOfEitherSideChangesTheNumber() {
        let original = SafetyNumber(alice, bob)
        let otherSigning = PublicIdentity(signingKey: carol.signingKey, encryptionKey: alice.encryptionKey)
        let otherEncryption = PublicIdentity(signingKey: alice.signingKey, encryptionKey: carol.encryptionKey)
        #expect(SafetyNumber(otherSigning, bob) != original)
        #expect(SafetyNumber(otherEncryption, bob) != original)
        #expect(SafetyNumber(alice, PublicIdentity(signingKey: bob.signingKey, encryptionKey: carol.encryptionKey)) != original)
    }

    @Test("It is six groups of five digits")
    func itIsSixGroupsOfFiveDigits() {
        for pair in [(alice, bob), (alice, carol), (bob, carol)] {
            let number = SafetyNumber(pair.0, pair.1)
            #expect(number.groups.count == 6)
            #expect(isSixGroupsOfFiveDigits(number.description), "\(number)")
        }
    }

    @Test("Groups keep their leading zeros")
    func groupsKeepTheirLeadingZeros() {
        // Among many random pairs, some group is below 10000; it must still have five digits.
        var sawLeadingZero = false
        for _ in 0..<40 {
            let number = SafetyNumber(Identity().publicIdentity, Identity().publicIdentity)
            #expect(isSixGroupsOfFiveDigits(number.description), "\(number)")
            if number.groups.contains(where: { $0.hasPrefix("0") }) { sawLeadingZero = true }
        }
        #expect(sawLeadingZero)  // fails with probability about 0.9^240
    }
}
