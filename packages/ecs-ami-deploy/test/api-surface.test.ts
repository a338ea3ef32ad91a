/**
 * The public surface is what api.md documents, no more and no less: each entry point's exports as the
 * source declares them (values and types), and as the module provides them at run time. Every export
 * also carries JSDoc: on the re-export for another package's export, on its declaration for our own.
 */
import { readFileSync } from "node:fs"
import path from "node:path"
import ts from "typescript"
import { describe, expect, it } from "vitest"

const packageRoot = path.resolve(import.meta.dirname, "..")

interface ExportName {
  readonly name: string
  readonly kind: "value" | "type"
}

const byName = (a: ExportName, b: ExportName) => a.name.localeCompare(b.name)

/** The bullets of api.md's section for `entry`: "- `name`" is a value, "- type `name`" a type. */
const documentedExports = (entry: string): Array<ExportName> => {
  const sections = readFileSync(path.join(packageRoot, "api.md"), "utf8").split(/^## /m)
  const section = sections.find((text) => text.startsWith(`\`${entry}\`\n`))
  if (section === undefined) throw new Error(`api.md has no section for ${entry}`)
  return [...section.matchAll(/^- (type )?`(\w+)`/gm)]
    .map((match): ExportName => ({ name: match[2] ?? "", kind: match[1] === undefined ? "value" : "type" }))
    .sort(byName)
}

const isExported = (node: ts.Node) =>
  ts.canHaveModifiers(node) &&
  (ts.getModifiers(node) ?? []).some((modifier) => modifier.kind === ts.SyntaxKind.ExportKeyword)

/** The exports a source file declares; an unnamed `export *` would hide them, so it is refused. */
const declaredExports = (file: string): Array<ExportName> => {
  const source = ts.createSourceFile(
    file,
    readFileSync(path.join(packageRoot, file), "utf8"),
    ts.ScriptTarget.Latest,
  )
  const names: Array<ExportName> = []
  for (const statement of source.statements) {
    if (ts.isExportDeclaration(statement)) {
      const clause = statement.exportClause
      if (clause === undefined) throw new Error(`${file}: an unnamed export * hides what the entry exports`)
      if (ts.isNamespaceExport(clause)) names.push({ name: clause.name.text, kind: "value" })
      else
        for (const element of clause.elements)
          names.push({
            name: element.name.text,
            kind: statement.isTypeOnly || element.isTypeOnly ? "type" : "value",
          })
    } else if (ts.isVariableStatement(statement) && isExported(statement)) {
      for (const declaration of statement.declarationList.declarations)
        if (ts.isIdentifier(declaration.name)) names.push({ name: declaration.name.text, kind: "value" })
    } else if (
      (ts.isInterfaceDeclaration(statement) || ts.isTypeAliasDeclaration(statement)) &&
      isExported(statement)
    ) {
      names.push({ name: statement.name.text, kind: "type" })
    } else if (
      (ts.isFunctionDeclaration(statement) || ts.isClassDeclaration(statement)) &&
      isExported(statement)
    ) {
      if (statement.name !== undefined) names.push({ name: statement.name.text, kind: "value" })
    }
  }
  return names.sort(byName)
}

const parse = (file: string) =>
  ts.createSourceFile(file, readFileSync(path.join(packageRoot, file), "utf8"), ts.ScriptTarget.Latest, true)

const hasJsDoc = (node: ts.Node) => ts.getJSDocCommentsAndTags(node).length > 0

/** The names a module of ours exports, each with whether its declaration (or local re-export) carries JSDoc. */
const documentationOfModule = (file: string): Map<string, boolean> => {
  const documented = new Map<string, boolean>()
  for (const statement of parse(file).statements) {
    if (
      ts.isExportDeclaration(statement) &&
      statement.exportClause !== undefined &&
      ts.isNamedExports(statement.exportClause)
    ) {
      for (const element of statement.exportClause.elements)
        documented.set(element.name.text, hasJsDoc(statement) || hasJsDoc(element))
    } else if (ts.isVariableStatement(statement) && isExported(statement)) {
      for (const declaration of statement.declarationList.declarations)
        documented.set(declaration.name.getText(), hasJsDoc(statement))
    } else if (
      (ts.isInterfaceDeclaration(statement) ||
        ts.isTypeAliasDeclaration(statement) ||
        ts.isFunctionDeclaration(statement) ||
        ts.isClassDeclaration(statement)) &&
      isExported(statement) &&
      statement.name !== undefined
    ) {
      documented.set(statement.name.text, hasJsDoc(statement))
    }
  }
  return documented
}

/** An entry file's exports that nobody documented; a namespace export needs its own JSDoc and every member's. */
const undocumentedExports = (entryFile: string): Array<string> => {
  const local = (specifier: string) => path.join(path.dirname(entryFile), specifier)
  const missing: Array<string> = []
  for (const statement of parse(entryFile).statements) {
    if (ts.isVariableStatement(statement) && isExported(statement) && !hasJsDoc(statement))
      missing.push(...statement.declarationList.declarations.map((declaration) => declaration.name.getText()))
    if (
      !ts.isExportDeclaration(statement) ||
      statement.exportClause === undefined ||
      statement.moduleSpecifier === undefined
    )
      continue
    const from = (statement.moduleSpecifier as ts.StringLiteral).text
    const clause = statement.exportClause
    if (ts.isNamespaceExport(clause)) {
      if (!hasJsDoc(statement)) missing.push(clause.name.text)
      for (const [name, documented] of documentationOfModule(local(from)))
        if (!documented) missing.push(`${clause.name.text}.${name}`)
      continue
    }
    const ours = from.startsWith("./") ? documentationOfModule(local(from)) : undefined
    for (const element of clause.elements) {
      const documented =
        ours === undefined
          ? hasJsDoc(element)
          : ours.get((element.propertyName ?? element.name).getText()) === true
      if (!documented) missing.push(element.name.text)
    }
  }
  return missing
}

const valueNames = (names: ReadonlyArray<ExportName>) =>
  names.filter((name) => name.kind === "value").map((name) => name.name)

describe.each([
  { entry: "ecs-ami-deploy", file: "src/index.ts", load: () => import("../src/index.ts") },
  { entry: "ecs-ami-deploy/simulator", file: "src/simulator.ts", load: () => import("../src/simulator.ts") },
])("the exports of $entry", ({ entry, file, load }) => {
  it("are the ones api.md lists, values and types alike", () => {
    expect(declaredExports(file)).toEqual(documentedExports(entry))
  })

  it("each carry JSDoc", () => {
    expect(undocumentedExports(file)).toEqual([])
  })

  it("are, at run time, the values api.md lists", async () => {
    expect(Object.keys(await load()).sort()).toEqual(valueNames(documentedExports(entry)).sort())
  })
})

describe("the two API styles", () => {
  it("offer the same operations: each Promise function has its Effect twin in Rollout", async () => {
    const api = await import("../src/index.ts")
    const promiseOperations = [
      "upgradeCluster",
      "planUpgrade",
      "latestAmi",
      "listClusters",
      "resumeRun",
      "rollbackRun",
      "continueRun",
      "runStatus",
      "callerIdentity",
      "clusterRuns",
    ]

    expect(Object.keys(api.Rollout).sort()).toEqual([...promiseOperations].sort())
    expect(
      promiseOperations.every((name) => typeof (api as Record<string, unknown>)[name] === "function"),
    ).toBe(true)
  })
})
