package dev.mod4j.runtime;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;

/**
 * The runtime's architecture: its packages form a DAG, the model and the vision side know no backend
 * implementation (they reach one through {@link dev.mod4j.runtime.backend.Backends}), and backends know no token
 * schedule.
 */
class PackageDependenciesTest {
    private static JavaClasses runtime;

    @BeforeAll
    static void importClasses() {
        runtime = new ClassFileImporter().withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
                .importPackages("dev.mod4j.runtime");
        // Guards against a rule passing vacuously because nothing was imported.
        assertTrue(runtime.size() > 50, "runtime classes imported: " + runtime.size());
    }

    @Test
    void runtimePackagesHaveNoCycles() {
        slices().matching("dev.mod4j.runtime.(*)..").should().beFreeOfCycles().check(runtime);
    }

    @Test
    void modelAndVisionKnowNoBackendImplementation() {
        noClasses().that().resideInAnyPackage("dev.mod4j.runtime.model..", "dev.mod4j.runtime.llava..",
                        "dev.mod4j.runtime.vision..", "dev.mod4j.runtime.schedule..", "dev.mod4j.runtime.weights..",
                        "dev.mod4j.runtime.backend..", "dev.mod4j.runtime.generate..", "dev.mod4j.runtime.compare..")
                .should().dependOnClassesThat().resideInAPackage("dev.mod4j.runtime.cpu..")
                .check(runtime);
    }

    @Test
    void backendsKnowNoTokenSchedule() {
        noClasses().that().resideInAnyPackage("dev.mod4j.runtime.cpu..", "dev.mod4j.runtime.backend..")
                .should().dependOnClassesThat().resideInAnyPackage("dev.mod4j.runtime.schedule..",
                        "dev.mod4j.runtime.model..", "dev.mod4j.runtime.llava..")
                .check(runtime);
    }
}
