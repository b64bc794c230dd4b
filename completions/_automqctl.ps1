
using namespace System.Management.Automation
using namespace System.Management.Automation.Language

Register-ArgumentCompleter -Native -CommandName 'automqctl' -ScriptBlock {
    param($wordToComplete, $commandAst, $cursorPosition)

    $commandElements = $commandAst.CommandElements
    $command = @(
        'automqctl'
        for ($i = 1; $i -lt $commandElements.Count; $i++) {
            $element = $commandElements[$i]
            if ($element -isnot [StringConstantExpressionAst] -or
                $element.StringConstantType -ne [StringConstantType]::BareWord -or
                $element.Value.StartsWith('-') -or
                $element.Value -eq $wordToComplete) {
                break
        }
        $element.Value
    }) -join ';'

    $completions = @(switch ($command) {
        'automqctl' {
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'How to print results')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'How to print results')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('storage', 'storage', [CompletionResultType]::ParameterValue, 'Check storage locations before a broker uses them')
            [CompletionResult]::new('completions', 'completions', [CompletionResultType]::ParameterValue, 'Print a shell completion script (see the README for where each shell loads it from)')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'automqctl;storage' {
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'How to print results')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'How to print results')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('check', 'check', [CompletionResultType]::ParameterValue, 'Probe a location: reachability, credentials, bucket, each capability, and PUT/GET latency and throughput at 4 KiB, 1 MiB and 16 MiB. Exits 1 when the store cannot serve a role it is checked for, saying why')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'automqctl;storage;check' {
            [CompletionResult]::new('--role', '--role', [CompletionResultType]::ParameterName, 'Roles to check the store for (repeatable): data, wal, meta')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'How long any one request may take')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'How to print results')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'How to print results')
            [CompletionResult]::new('--create', '--create', [CompletionResultType]::ParameterName, 'Create the bucket or directory when it does not exist')
            [CompletionResult]::new('--quick', '--quick', [CompletionResultType]::ParameterName, 'Fewer measurements: 10, 5 and 2 requests per size instead of 50, 20 and 5')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'automqctl;storage;help' {
            [CompletionResult]::new('check', 'check', [CompletionResultType]::ParameterValue, 'Probe a location: reachability, credentials, bucket, each capability, and PUT/GET latency and throughput at 4 KiB, 1 MiB and 16 MiB. Exits 1 when the store cannot serve a role it is checked for, saying why')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'automqctl;storage;help;check' {
            break
        }
        'automqctl;storage;help;help' {
            break
        }
        'automqctl;completions' {
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'How to print results')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'How to print results')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'automqctl;help' {
            [CompletionResult]::new('storage', 'storage', [CompletionResultType]::ParameterValue, 'Check storage locations before a broker uses them')
            [CompletionResult]::new('completions', 'completions', [CompletionResultType]::ParameterValue, 'Print a shell completion script (see the README for where each shell loads it from)')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'automqctl;help;storage' {
            [CompletionResult]::new('check', 'check', [CompletionResultType]::ParameterValue, 'Probe a location: reachability, credentials, bucket, each capability, and PUT/GET latency and throughput at 4 KiB, 1 MiB and 16 MiB. Exits 1 when the store cannot serve a role it is checked for, saying why')
            break
        }
        'automqctl;help;storage;check' {
            break
        }
        'automqctl;help;completions' {
            break
        }
        'automqctl;help;help' {
            break
        }
    })

    $completions.Where{ $_.CompletionText -like "$wordToComplete*" } |
        Sort-Object -Property ListItemText
}
