
use builtin;
use str;

set edit:completion:arg-completer[automqctl] = {|@words|
    fn spaces {|n|
        builtin:repeat $n ' ' | str:join ''
    }
    fn cand {|text desc|
        edit:complex-candidate $text &display=$text' '(spaces (- 14 (wcswidth $text)))$desc
    }
    var command = 'automqctl'
    for word $words[1..-1] {
        if (str:has-prefix $word '-') {
            break
        }
        set command = $command';'$word
    }
    var completions = [
        &'automqctl'= {
            cand -o 'How to print results'
            cand --output 'How to print results'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
            cand storage 'Check storage locations before a broker uses them'
            cand bench 'Benchmark producing and consuming: throughput, latency percentiles, pictures'
            cand completions 'Print a shell completion script (see the README for where each shell loads it from)'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'automqctl;storage'= {
            cand -o 'How to print results'
            cand --output 'How to print results'
            cand -h 'Print help'
            cand --help 'Print help'
            cand check 'Probe a location: reachability, credentials, bucket, each capability, and PUT/GET latency and throughput at 4 KiB, 1 MiB and 16 MiB. Exits 1 when the store cannot serve a role it is checked for, saying why'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'automqctl;storage;check'= {
            cand --role 'Roles to check the store for (repeatable): data, wal, meta'
            cand --timeout 'How long any one request may take'
            cand -o 'How to print results'
            cand --output 'How to print results'
            cand --create 'Create the bucket or directory when it does not exist'
            cand --quick 'Fewer measurements: 10, 5 and 2 requests per size instead of 50, 20 and 5'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'automqctl;storage;help'= {
            cand check 'Probe a location: reachability, credentials, bucket, each capability, and PUT/GET latency and throughput at 4 KiB, 1 MiB and 16 MiB. Exits 1 when the store cannot serve a role it is checked for, saying why'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'automqctl;storage;help;check'= {
        }
        &'automqctl;storage;help;help'= {
        }
        &'automqctl;bench'= {
            cand -b 'The cluster to measure (HOST:PORT[,HOST:PORT…])'
            cand --bootstrap-server 'The cluster to measure (HOST:PORT[,HOST:PORT…])'
            cand --broker-backend 'Start an automqd for the run, its data at URI (file:///…, s3://…?…, hdfs://…); without a URI, in a temporary directory. The binary is AUTOMQD_BIN, or automqd next to automqctl'
            cand --wal 'The WAL kind of an automqd the bench starts'
            cand --compare 'Run the same workload against two clusters in turn and print each metric''s ratio: two targets, or one beside --bootstrap-server / --broker-backend. A target is HOST:PORT, a backend URI (an automqd started there), or `automqd` (one on a temporary directory), optionally named: kafka=127.0.0.1:19092'
            cand --topic 'The topic to use; default: a fresh one, deleted afterwards'
            cand --partitions 'Partitions of a fresh topic'
            cand --replication-factor 'Replication factor of a fresh topic; -1: the cluster''s default'
            cand --record-size 'Bytes per record value (at least 16: a header carries the send time)'
            cand --key-distribution 'How records get keys: none (the client''s partitioner), random (8 random bytes), round-robin (no key, partitions in turn)'
            cand --rate 'Records per second over all producers; default: as fast as the cluster takes them'
            cand --producers 'Producer clients, each on its own thread with its share of the rate'
            cand --consumers 'Consumer clients; the partitions are spread over them'
            cand --acks 'Acknowledgements a produce waits for'
            cand --compression 'none, gzip, snappy or lz4'
            cand --batch-size 'The producer''s batch.size in bytes (default: librdkafka''s)'
            cand --linger-ms 'The producer''s linger.ms (default: librdkafka''s, 5)'
            cand --duration 'How long to produce after the warm-up (30s, 2m, 500ms; a bare number is seconds)'
            cand --records 'How many records to produce after the warm-up'
            cand --warmup 'Produce this long before measuring'
            cand --catch-up-mb 'Also fill a second topic with this many MB, then time reading it from the start. An automqd the bench started is restarted in between, so the reads come from objects'
            cand -X 'A librdkafka setting, repeatable; producer.KEY=VALUE or consumer.KEY=VALUE for one side only'
            cand --plot 'Write latency-over-time, latency-distribution and throughput-over-time SVGs into DIR'
            cand --drain-timeout 'Consumers give up after this long without reaching the end'
            cand -o 'How to print results'
            cand --output 'How to print results'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'automqctl;completions'= {
            cand -o 'How to print results'
            cand --output 'How to print results'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'automqctl;help'= {
            cand storage 'Check storage locations before a broker uses them'
            cand bench 'Benchmark producing and consuming: throughput, latency percentiles, pictures'
            cand completions 'Print a shell completion script (see the README for where each shell loads it from)'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'automqctl;help;storage'= {
            cand check 'Probe a location: reachability, credentials, bucket, each capability, and PUT/GET latency and throughput at 4 KiB, 1 MiB and 16 MiB. Exits 1 when the store cannot serve a role it is checked for, saying why'
        }
        &'automqctl;help;storage;check'= {
        }
        &'automqctl;help;bench'= {
        }
        &'automqctl;help;completions'= {
        }
        &'automqctl;help;help'= {
        }
    ]
    $completions[$command]
}
