
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
            [CompletionResult]::new('bench', 'bench', [CompletionResultType]::ParameterValue, 'Benchmark producing and consuming: throughput, latency percentiles, pictures')
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
        'automqctl;bench' {
            [CompletionResult]::new('-b', '-b', [CompletionResultType]::ParameterName, 'The cluster to measure (HOST:PORT[,HOST:PORT…])')
            [CompletionResult]::new('--bootstrap-server', '--bootstrap-server', [CompletionResultType]::ParameterName, 'The cluster to measure (HOST:PORT[,HOST:PORT…])')
            [CompletionResult]::new('--broker-backend', '--broker-backend', [CompletionResultType]::ParameterName, 'Start an automqd for the run, its data at URI (file:///…, s3://…?…, hdfs://…); without a URI, in a temporary directory. The binary is AUTOMQD_BIN, or automqd next to automqctl')
            [CompletionResult]::new('--wal', '--wal', [CompletionResultType]::ParameterName, 'The WAL kind of an automqd the bench starts')
            [CompletionResult]::new('--compare', '--compare', [CompletionResultType]::ParameterName, 'Run the same workload against two clusters in turn and print each metric''s ratio: two targets, or one beside --bootstrap-server / --broker-backend. A target is HOST:PORT, a backend URI (an automqd started there), or `automqd` (one on a temporary directory), optionally named: kafka=127.0.0.1:19092')
            [CompletionResult]::new('--topic', '--topic', [CompletionResultType]::ParameterName, 'The topic to use; default: a fresh one, deleted afterwards')
            [CompletionResult]::new('--partitions', '--partitions', [CompletionResultType]::ParameterName, 'Partitions of a fresh topic')
            [CompletionResult]::new('--replication-factor', '--replication-factor', [CompletionResultType]::ParameterName, 'Replication factor of a fresh topic; -1: the cluster''s default')
            [CompletionResult]::new('--record-size', '--record-size', [CompletionResultType]::ParameterName, 'Bytes per record value (at least 16: a header carries the send time)')
            [CompletionResult]::new('--key-distribution', '--key-distribution', [CompletionResultType]::ParameterName, 'How records get keys: none (the client''s partitioner), random (8 random bytes), round-robin (no key, partitions in turn)')
            [CompletionResult]::new('--rate', '--rate', [CompletionResultType]::ParameterName, 'Records per second over all producers; default: as fast as the cluster takes them')
            [CompletionResult]::new('--producers', '--producers', [CompletionResultType]::ParameterName, 'Producer clients, each on its own thread with its share of the rate')
            [CompletionResult]::new('--consumers', '--consumers', [CompletionResultType]::ParameterName, 'Consumer clients; the partitions are spread over them')
            [CompletionResult]::new('--acks', '--acks', [CompletionResultType]::ParameterName, 'Acknowledgements a produce waits for')
            [CompletionResult]::new('--compression', '--compression', [CompletionResultType]::ParameterName, 'none, gzip, snappy or lz4')
            [CompletionResult]::new('--batch-size', '--batch-size', [CompletionResultType]::ParameterName, 'The producer''s batch.size in bytes (default: librdkafka''s)')
            [CompletionResult]::new('--linger-ms', '--linger-ms', [CompletionResultType]::ParameterName, 'The producer''s linger.ms (default: librdkafka''s, 5)')
            [CompletionResult]::new('--duration', '--duration', [CompletionResultType]::ParameterName, 'How long to produce after the warm-up (30s, 2m, 500ms; a bare number is seconds)')
            [CompletionResult]::new('--records', '--records', [CompletionResultType]::ParameterName, 'How many records to produce after the warm-up')
            [CompletionResult]::new('--warmup', '--warmup', [CompletionResultType]::ParameterName, 'Produce this long before measuring')
            [CompletionResult]::new('--catch-up-mb', '--catch-up-mb', [CompletionResultType]::ParameterName, 'Also fill a second topic with this many MB, then time reading it from the start. An automqd the bench started is restarted in between, so the reads come from objects')
            [CompletionResult]::new('-X', '-X ', [CompletionResultType]::ParameterName, 'A librdkafka setting, repeatable; producer.KEY=VALUE or consumer.KEY=VALUE for one side only')
            [CompletionResult]::new('--plot', '--plot', [CompletionResultType]::ParameterName, 'Write latency-over-time, latency-distribution and throughput-over-time SVGs into DIR')
            [CompletionResult]::new('--drain-timeout', '--drain-timeout', [CompletionResultType]::ParameterName, 'Consumers give up after this long without reaching the end')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'How to print results')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'How to print results')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
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
            [CompletionResult]::new('bench', 'bench', [CompletionResultType]::ParameterValue, 'Benchmark producing and consuming: throughput, latency percentiles, pictures')
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
        'automqctl;help;bench' {
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
